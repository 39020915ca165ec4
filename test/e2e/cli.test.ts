// The proxy as users start it: flags, env, start-up and exit behaviour, signals.

import { expect, test } from "bun:test";
import pkg from "../../package.json";
import { freePort, okResponse, rawExchange, rawUpstream } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { runCli, spawnProxy } from "../helpers/proxy-process";

test("--version prints the package version", async () => {
  const r = await runCli(["--version"]);
  expect(r.code).toBe(0);
  expect(r.out.trim()).toBe(pkg.version);
});

test("--help lists the flags", async () => {
  const r = await runCli(["--help"]);
  expect(r.code).toBe(0);
  for (const flag of ["--listen", "--upstream-host", "--log-level", "--connect-timeout"]) expect(r.out).toContain(flag);
  const admin = r.out.indexOf("ADMIN PAGE, METRICS, ACCESS LOG");
  expect(admin).toBeGreaterThan(-1);
  for (const flag of ["--admin-host", "--admin-from", "--workspace-root", "--access-log"]) expect(r.out.indexOf(flag)).toBeGreaterThan(admin);
});

test.each([
  ["bad IPv4", ["--listen", "1.2.3:80"], '"1.2.3:80"'],
  ["bad port", ["--listen", "127.0.0.1:99999"], '"127.0.0.1:99999"'],
  ["IPv6 without brackets", ["--listen", "::1:80"], '"::1:80"'],
  ["bad log level", ["--listen", "127.0.0.1:0", "--log-level", "loud"], "loud"],
  ["bad timeout", ["--listen", "127.0.0.1:0", "--connect-timeout", "-1"], "--connect-timeout"],
  ["bad admin range", ["--listen", "127.0.0.1:0", "--admin-from", "10.0.0.0/40"], 'invalid --admin-from: invalid address range "10.0.0.0/40"'],
  ["bad admin host", ["--listen", "127.0.0.1:0", "--admin-host", "cmux.localhost:80"], 'invalid --admin-host "cmux.localhost:80"'],
])("%s exits non-zero with one line naming it", async (_name, args, needle) => {
  const r = await runCli(args);
  expect(r.code).not.toBe(0);
  expect(r.out).toContain(needle);
  expect(r.out.trim().split("\n").length).toBe(1);
});

test("a port that cannot be bound exits non-zero naming the address", async () => {
  const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const r = await runCli(["--listen", `127.0.0.1:${busy.port}`]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`127.0.0.1:${busy.port}`);
    expect(r.out).toContain("EADDRINUSE");
  } finally {
    busy.stop(true);
  }
});

test("CMUX_LISTEN like the default (wildcard + loopback on one port) binds once and serves", async () => {
  const port = freePort();
  const p = await spawnProxy([], { CMUX_LISTEN: `0.0.0.0:${port},127.0.0.1:${port}` });
  try {
    expect(p.ports).toEqual([port]);
    expect(p.output()).toContain(`listening on 0.0.0.0:${port} `);
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(r.status).toBe(400);
  } finally {
    await p.stop();
  }
});

test("repeated and comma-separated --listen, IPv6 included", async () => {
  const [a, b, c] = [freePort(), freePort(), freePort()];
  const p = await spawnProxy(["--listen", `127.0.0.1:${a},127.0.0.2:${b}`, "--listen", `[::1]:${c}`]);
  try {
    expect(p.ports).toEqual([a, b, c]);
    for (const host of [`127.0.0.1:${a}`, `127.0.0.2:${b}`, `[::1]:${c}`]) {
      expect((await fetch(`http://${host}/`)).status).toBe(400);
    }
  } finally {
    await p.stop();
  }
});

test("[::]:P beside 0.0.0.0:P binds both (the IPv6 one IPv6-only) and both serve", async () => {
  const port = freePort();
  const p = await spawnProxy(["--listen", `[::]:${port},0.0.0.0:${port}`]);
  try {
    expect(p.ports).toEqual([port, port]);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(400);
    expect((await fetch(`http://[::1]:${port}/`)).status).toBe(400);
  } finally {
    await p.stop();
  }
});

test("--upstream-host by name routes there", async () => {
  const up = rawUpstream((conn) => {
    if (conn.received.includes("\r\n\r\n")) conn.socket.write(okResponse("via localhost"));
  });
  const p = await spawnProxy(["--listen", "127.0.0.1:0", "--upstream-host", "localhost"]);
  try {
    const r = await fetch(`http://127.0.0.1:${p.ports[0]}/`, { headers: { "X-Cmux-Port-Internal": String(up.port) } });
    expect(await r.text()).toBe("via localhost");
  } finally {
    await p.stop();
    up.stop();
  }
});

test("SIGTERM: stops accepting, lets the in-flight response finish, exits 0", async () => {
  // The upstream holds its answer until the proxy has stopped listening: a fixed delay could run out
  // before a slow machine delivers the signal, and the exchange would no longer be in flight.
  const up = rawUpstream(() => {});
  const p = await spawnProxy(["--listen", "127.0.0.1:0"]);
  try {
    const port = p.ports[0]!;
    const inflight = rawExchange(port, [`GET / HTTP/1.1\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`], { until: (s) => s.endsWith("finished"), timeoutMs: 5000 });
    expect(await waitFor(() => up.conns.some((c) => c.received.includes("\r\n\r\n")), 3000)).toBe(true);
    p.proc.kill("SIGTERM");
    // The listeners stop in the same tick as this line is logged.
    expect(await p.waitOutput("SIGTERM: no longer accepting")).toBe(true);
    const refused = await fetch(`http://127.0.0.1:${port}/`).then(() => false, () => true);
    expect(refused).toBe(true);
    up.conns[0]!.socket.write(okResponse("finished"));
    const r = await inflight;
    expect(r.text).toEndWith("finished");
    expect(r.text).toContain("Connection: close\r\n");
    expect(await p.proc.exited).toBe(0);
  } finally {
    await p.stop();
    up.stop();
  }
});
