// The loop guard compares addresses, not spellings: another spelling of the proxy's own address as
// the upstream host is refused at start-up with the spelling to use, and one that is accepted (an
// IPv6 form of an IPv4 address, a name resolving to it) still answers 508 instead of looping.

import { expect, test } from "bun:test";
import { freePort, rawExchange, startTestProxy } from "../helpers/net";
import { runCli, spawnProxy } from "../helpers/proxy-process";

test.each([
  ["127.1", "write the address as 127.0.0.1"],
  ["2130706433", "write the address as 127.0.0.1"],
  ["0x7f.0.0.1", "write the address as 127.0.0.1"],
  ["0177.0.0.1", "write the address as 127.0.0.1"],
  ["0.0.0.0", "to reach this machine write 127.0.0.1"],
  ["::", "to reach this machine write ::1"],
])("--upstream-host %p is refused at start-up: %s", async (host, why) => {
  const r = await runCli(["--listen", "127.0.0.1:0", "--upstream-host", host]);
  expect(r.code).toBe(2);
  const line = r.out.trim();
  expect(line.split("\n").length).toBe(1);
  expect(line).toStartWith(`cmux-proxy: invalid --upstream-host "${host}": `);
  expect(line).toEndWith(why);
});

test("an IPv6 spelling of the listen address is caught as a loop (508), and nothing loops", async () => {
  const proxy = startTestProxy({}, "::ffff:127.0.0.1");
  try {
    const r = await rawExchange(proxy.port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${proxy.port}\r\n\r\n`]);
    expect(r.text).toStartWith("HTTP/1.1 508 Loop Detected\r\n");
    expect(r.text).toContain(`request routed to the proxy itself (::ffff:127.0.0.1:${proxy.port})`);
  } finally {
    await proxy.stop();
  }
});

test("a host name resolving to the listen address is caught as a loop (508)", async () => {
  const name = (await Bun.$`hostname`.text()).trim();
  const resolved = await Bun.dns.lookup(name, { family: 4 }).catch(() => []);
  if (!resolved.some((a) => a.address === "127.0.0.1")) {
    console.warn(`skipped: this machine's name ${name} does not resolve to 127.0.0.1`);
    return;
  }
  const port = freePort();
  const p = await spawnProxy(["--listen", `127.0.0.1:${port}`, "--upstream-host", name]);
  try {
    const r = await rawExchange(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${port}\r\n\r\n`]);
    expect(r.text).toStartWith("HTTP/1.1 508 Loop Detected\r\n");
  } finally {
    await p.stop();
  }
});
