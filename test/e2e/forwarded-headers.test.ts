// An ingress in front (README "Behind an ingress"): X-Forwarded-* with Caddy's trust model, the Host
// override and --rewrite-host, checked in the exact bytes the upstream received; --host-suffix
// routing; and the flags through the real command line. The trusted peer is 127.0.0.1 explicitly
// trusted in one proxy and not in another; a peer that is not on loopback comes from a network
// namespace (10.251.0.2).

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { DEFAULT_FORWARDED } from "../../src/config";
import { parseCidrList, type Cidr } from "../../src/net/cidr";
import { answerEach, rawExchange, rawUpstream, startTestProxy, type TestProxy } from "../helpers/net";
import { createNetNs, HOST_ADDR, NS_ADDR, netnsUnavailable, type NetNs } from "../helpers/netns";
import { runCli, spawnProxy } from "../helpers/proxy-process";

const cidrs = (text: string) => parseCidrList(text) as Cidr[];
const untilBody = { until: (t: string) => /\r\n\r\nok \d+$/.test(t), timeoutMs: 5000 };

let untrusting: TestProxy;
let trusting: TestProxy;
let rewriting: TestProxy;
let up: ReturnType<typeof rawUpstream>;

beforeAll(() => {
  untrusting = startTestProxy();
  trusting = startTestProxy({}, "127.0.0.1", { forwarded: { ...DEFAULT_FORWARDED, trusted: cidrs("127.0.0.1/32") } });
  rewriting = startTestProxy({}, "127.0.0.1", { forwarded: { ...DEFAULT_FORWARDED, rewriteHost: true } });
});
afterAll(async () => {
  await untrusting.stop();
  await trusting.stop();
  await rewriting.stop();
});
afterEach(() => up?.stop());

/** One request through `proxy`; the head the upstream received, as its lines. */
async function upstreamLines(proxy: TestProxy, fields: string[]): Promise<string[]> {
  up = rawUpstream(answerEach());
  const r = await rawExchange(proxy.port, [`GET /p HTTP/1.1\r\n${[...fields, `X-Cmux-Port-Internal: ${up.port}`].join("\r\n")}\r\n\r\n`], untilBody);
  expect(r.text).toStartWith("HTTP/1.1 200 OK\r\n");
  return up.all().split("\r\n");
}

const SPOOFED = ["X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https", "X-Forwarded-Host: w-5173.cloud.test", "X-Forwarded-Port: 443"];

describe("X-Forwarded-* in the bytes the upstream received", () => {
  test("an untrusted peer's values are replaced by this hop's", async () => {
    const lines = await upstreamLines(untrusting, ["Host: app.test", ...SPOOFED]);
    expect(lines).toEqual([
      "GET /p HTTP/1.1",
      "Host: app.test",
      "X-Forwarded-For: 127.0.0.1",
      "X-Forwarded-Proto: http",
      "X-Forwarded-Host: app.test",
      `X-Forwarded-Port: ${untrusting.port}`,
      "",
      "",
    ]);
  });

  test("a trusted peer's values are kept, and the peer appended to X-Forwarded-For", async () => {
    const lines = await upstreamLines(trusting, ["Host: app.test", ...SPOOFED]);
    expect(lines).toEqual([
      "GET /p HTTP/1.1",
      "Host: app.test",
      "X-Forwarded-Proto: https",
      "X-Forwarded-Host: w-5173.cloud.test",
      "X-Forwarded-Port: 443",
      "X-Forwarded-For: 203.0.113.9, 127.0.0.1",
      "",
      "",
    ]);
  });

  test("Connection: X-Forwarded-For removes the client's value, never the proxy's", async () => {
    const lines = await upstreamLines(trusting, ["Host: app.test", "Connection: X-Forwarded-For, X-Forwarded-Host", ...SPOOFED]);
    expect(lines).toContain("X-Forwarded-For: 127.0.0.1");
    expect(lines).toContain("X-Forwarded-Host: app.test");
    expect(lines).not.toContain("X-Forwarded-For: 203.0.113.9");
    expect(lines).not.toContain("X-Forwarded-Host: w-5173.cloud.test");
    expect(lines).toContain("X-Forwarded-Proto: https");
  });

  test("--no-forwarded-headers: the client's values pass as sent, none added", async () => {
    const off = startTestProxy({}, "127.0.0.1", { forwarded: { ...DEFAULT_FORWARDED, headers: false } });
    try {
      const lines = await upstreamLines(off, ["Host: app.test", ...SPOOFED]);
      expect(lines).toEqual(["GET /p HTTP/1.1", "Host: app.test", ...SPOOFED, "", ""]);
    } finally {
      await off.stop();
    }
  });

  test("a WebSocket handshake carries them too", async () => {
    const seen: Record<string, string>[] = [];
    const ws = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req, server) {
        seen.push(Object.fromEntries(req.headers));
        return server.upgrade(req, { data: undefined }) ? undefined : new Response("no", { status: 400 });
      },
      websocket: { message() {} },
    });
    try {
      const r = await rawExchange(
        untrusting.port,
        [
          `GET /hmr HTTP/1.1\r\nHost: workspace-x.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Cmux-Port-Internal: ${ws.port}\r\n\r\n`,
        ],
        { until: (t) => t.includes("\r\n\r\n"), timeoutMs: 5000 },
      );
      expect(r.text).toStartWith("HTTP/1.1 101 ");
      expect(seen[0]!["x-forwarded-host"]).toBe("workspace-x.test");
      expect(seen[0]!["x-forwarded-for"]).toBe("127.0.0.1");
    } finally {
      ws.stop(true);
    }
  });
});

describe("Host override", () => {
  test("X-Cmux-Host-Override is the Host, the original goes to X-Forwarded-Host, the header itself stays here", async () => {
    const lines = await upstreamLines(untrusting, ["Host: w-5173.cloud.test", "X-Cmux-Host-Override: localhost:5173"]);
    expect(lines).toEqual([
      "GET /p HTTP/1.1",
      "Host: localhost:5173",
      "X-Forwarded-For: 127.0.0.1",
      "X-Forwarded-Proto: http",
      "X-Forwarded-Host: w-5173.cloud.test",
      `X-Forwarded-Port: ${untrusting.port}`,
      "",
      "",
    ]);
  });

  test("--rewrite-host: Host is localhost:<target port> for every request", async () => {
    const lines = await upstreamLines(rewriting, ["Host: app.test:8080"]);
    expect(lines.slice(0, 2)).toEqual(["GET /p HTTP/1.1", `Host: localhost:${up.port}`]);
    expect(lines).toContain("X-Forwarded-Host: app.test:8080");
  });

  test("a malformed override is a 400 naming it, and nothing is forwarded", async () => {
    up = rawUpstream(answerEach());
    const r = await rawExchange(untrusting.port, [`GET / HTTP/1.1\r\nHost: a\r\nX-Cmux-Host-Override: a b\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`], {
      timeoutMs: 5000,
    });
    expect(r.text).toStartWith("HTTP/1.1 400 ");
    expect(r.text).toEndWith('\r\n\r\ninvalid X-Cmux-Host-Override: "a b" (expected host[:port], e.g. localhost:5173)\n');
    expect(up.all()).toBe("");
  });
});

describe("--host-suffix", () => {
  let proxy: TestProxy;
  let server: TCPSocketListener<undefined>;
  let received = "";
  beforeAll(() => {
    proxy = startTestProxy({}, "127.0.0.1", { hostSuffixes: ["dev.example.test", "localhost"] });
    // workspace-a's IP (test/vectors/workspace-ip.json).
    server = Bun.listen({
      hostname: "127.18.176.32",
      port: 0,
      socket: {
        data(s, b) {
          received += Buffer.from(b).toString("latin1");
          s.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok 1");
        },
      },
    });
  });
  afterAll(async () => {
    server.stop(true);
    await proxy.stop();
  });

  test.each([
    ["workspace-a-PORT.dev.example.test"],
    ["tenant.workspace-a-PORT.dev.example.test:8080"],
    ["tenant.workspace-a-PORT.localhost"],
    ["A.B.WORKSPACE-a-PORT.Dev.Example.Test"],
  ])("%s routes to workspace-a, Host passed unchanged", async (template) => {
    received = "";
    const host = template.replace("PORT", String(server.port));
    const r = await rawExchange(proxy.port, [`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`], untilBody);
    expect(r.text).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(received).toStartWith(`GET / HTTP/1.1\r\nHost: ${host}\r\n`);
  });

  test("another suffix is not a route", async () => {
    const r = await rawExchange(proxy.port, [`GET / HTTP/1.1\r\nHost: workspace-a-${server.port}.other.test\r\n\r\n`], { timeoutMs: 5000 });
    expect(r.text).toEndWith("\r\n\r\nmissing required header: X-Cmux-Port-Internal\n");
  });
});

describe("the flags and their environment variables, through the real command line", () => {
  test("--trusted-proxies, --rewrite-host and --host-suffix", async () => {
    up = rawUpstream(answerEach());
    const p = await spawnProxy(["--listen", "127.0.0.1:0", "--trusted-proxies", "10.0.0.0/8,127.0.0.1", "--rewrite-host", "--host-suffix", "dev.test"]);
    try {
      const r = await rawExchange(p.ports[0]!, [`GET / HTTP/1.1\r\nHost: x.test\r\nX-Forwarded-Proto: https\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`], untilBody);
      expect(r.text).toStartWith("HTTP/1.1 200 OK\r\n");
      const lines = up.all().split("\r\n");
      expect(lines).toContain(`Host: localhost:${up.port}`);
      expect(lines).toContain("X-Forwarded-Proto: https");
    } finally {
      await p.stop();
    }
  });

  test("CMUX_FORWARDED_HEADERS=0 and CMUX_HOST_SUFFIX", async () => {
    up = rawUpstream(answerEach());
    const p = await spawnProxy(["--listen", "127.0.0.1:0"], { CMUX_FORWARDED_HEADERS: "0", CMUX_HOST_SUFFIX: "dev.test" });
    try {
      const r = await rawExchange(p.ports[0]!, [`GET / HTTP/1.1\r\nHost: x-${up.port}.dev.test\r\n\r\n`], { timeoutMs: 5000, until: (t) => t.includes("\n") });
      // The Host routes (to workspace x's IP, where nothing listens): the suffix was read.
      expect(r.text).toStartWith("HTTP/1.1 502 ");
      const direct = await rawExchange(p.ports[0]!, [`GET / HTTP/1.1\r\nHost: y\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`], untilBody);
      expect(direct.text).toStartWith("HTTP/1.1 200 OK\r\n");
      expect(up.all()).toBe("GET / HTTP/1.1\r\nHost: y\r\n\r\n");
    } finally {
      await p.stop();
    }
  });

  test.each([
    [["--trusted-proxies", "10.0.0.0/33"], 'cmux-proxy: --trusted-proxies: invalid address range "10.0.0.0/33": prefix "/33" is not 0-32'],
    [["--host-suffix", "bad_suffix"], 'cmux-proxy: --host-suffix: invalid host suffix "bad_suffix" (expected a domain such as localhost or dev.example.com)'],
    [["--tcp-keepalive", "0"], 'cmux-proxy: invalid --tcp-keepalive "0" (expected a positive number)'],
  ] as [string[], string][])("%p stops start-up with one line", async (args, line) => {
    const { code, out } = await runCli(["--listen", "127.0.0.1:0", ...args]);
    expect(code).toBe(2);
    expect(out.trim()).toBe(line);
  });
});

const unavailable = netnsUnavailable();
describe.skipIf(unavailable !== null)(`a peer that is not on loopback${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let ns: NetNs;
  let proxy: TestProxy;
  beforeAll(() => {
    ns = createNetNs();
    // Loopback is trusted (the ingress is local), the namespace's address is not.
    proxy = startTestProxy({}, "127.0.0.1", {
      listen: [{ host: HOST_ADDR, port: 0, family: 4 }],
      forwarded: { ...DEFAULT_FORWARDED, trusted: cidrs("127.0.0.0/8") },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    ns?.destroy();
  });

  test("its X-Forwarded-* are replaced, X-Forwarded-For is its own address", async () => {
    up = rawUpstream(answerEach());
    const curl = Bun.spawn(
      ns.exec(["curl", "-sS", "--max-time", "10", "-H", `X-Cmux-Port-Internal: ${up.port}`, ...SPOOFED.flatMap((h) => ["-H", h]), `http://${HOST_ADDR}:${proxy.port}/p`]),
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await new Response(curl.stdout).text()).toBe("ok 1");
    expect(await curl.exited).toBe(0);
    const lines = up.all().split("\r\n");
    expect(lines).toContain(`X-Forwarded-For: ${NS_ADDR}`);
    expect(lines).toContain("X-Forwarded-Proto: http");
    expect(lines).toContain(`X-Forwarded-Host: ${HOST_ADDR}:${proxy.port}`);
    expect(lines).toContain(`X-Forwarded-Port: ${proxy.port}`);
    expect(lines.filter((l) => l.toLowerCase().startsWith("x-forwarded-")).length).toBe(4);
  });
});
