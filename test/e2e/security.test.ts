// Who may reach what, over real sockets: the port policy by header, Host, CONNECT and upgrade with
// upstreams that count their connections (a refused port sees none), --workspace-only, and the token
// by header, Proxy-Authorization (real curl), cookie, from a peer that is not loopback (a network
// namespace) and from loopback with --auth-loopback. The token never reaches an upstream.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ListenAddress } from "../../src/config";
import { parsePolicy, type Policy, type PolicyFlags } from "../../src/policy";
import { createNetNs, HOST_ADDR, netnsUnavailable, type NetNs } from "../helpers/netns";
import { okResponse, rawExchange, rawUpstream, startTestProxy, statuses, type TestProxy, type UpstreamConn } from "../helpers/net";

const TOKEN = "e2e-token-0123456789abcdef";
const WS_IP = "127.18.0.1"; // workspace-1

function policy(flags: PolicyFlags): Policy {
  const p = parsePolicy(flags, {}, (path) => readFileSync(path, "utf8"));
  if (p === null || typeof p === "string") throw new Error(`bad test policy: ${p}`);
  return p;
}

/**
 * An upstream that counts connections and answers like a tiny server: `ping` in a tunnel gets
 * `pong`, an upgrade request a 101, any other complete head a 200 naming the upstream; each
 * connection is closed after its answer so every request is a connection of its own.
 */
function upstream(name: string, hostname = "127.0.0.1") {
  return rawUpstream((c: UpstreamConn) => {
    if (c.received === "ping") return void c.socket.write("pong");
    if (!c.received.includes("\r\n\r\n")) return;
    if (/\r\nupgrade: websocket\r\n/i.test(c.received)) {
      c.socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
      return;
    }
    c.socket.end(okResponse(name, ["Connection: close"]));
  }, undefined, hostname);
}

type Upstream = ReturnType<typeof upstream>;

/** One request through the proxy; the answer's status and text. */
async function send(port: number, request: string, until = (s: string) => s.includes("\r\n\r\n")) {
  const r = await rawExchange(port, [request], { until, timeoutMs: 5000 });
  return { status: statuses(r.text)[0] ?? 0, text: r.text };
}

const get = (headers: string) => `GET /p HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;
const connect = (headers: string) => `CONNECT x:1 HTTP/1.1\r\n${headers}\r\nping`;
const upgrade = (headers: string) => `GET /ws HTTP/1.1\r\n${headers}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;

describe("--allow-ports / --deny-ports on every route", () => {
  let proxy: TestProxy;
  const ups: Record<"allowed" | "denied" | "outside" | "wsAllowed" | "wsDenied", Upstream> = {} as never;

  beforeAll(() => {
    ups.allowed = upstream("allowed");
    ups.denied = upstream("denied");
    ups.outside = upstream("outside");
    ups.wsAllowed = upstream("wsAllowed", WS_IP);
    ups.wsDenied = upstream("wsDenied", WS_IP);
    const listed = [ups.allowed, ups.denied, ups.wsAllowed, ups.wsDenied].map((u) => u.port).join(",");
    proxy = startTestProxy({}, "127.0.0.1", { policy: policy({ allowPorts: listed, denyPorts: `${ups.denied.port},${ups.wsDenied.port}` }) });
  });
  afterAll(async () => {
    await proxy.stop();
    for (const u of Object.values(ups)) u.stop();
  });

  const byHeader = (u: Upstream) => `X-Cmux-Port-Internal: ${u.port}\r\n`;
  const byHost = (u: Upstream) => `Host: workspace-1-${u.port}.localhost\r\n`;
  const OUTSIDE = "outside --allow-ports";
  const DENIED = "refused by --deny-ports";

  test.each([
    ["header, allowed", "allowed", (u: Upstream) => get(byHeader(u)), 200, "allowed"],
    ["header, denied", "denied", (u: Upstream) => get(byHeader(u)), 403, DENIED],
    ["header, outside the allow list", "outside", (u: Upstream) => get(byHeader(u)), 403, OUTSIDE],
    ["Host, allowed", "wsAllowed", (u: Upstream) => get(byHost(u)), 200, "wsAllowed"],
    ["Host, denied", "wsDenied", (u: Upstream) => get(byHost(u)), 403, DENIED],
    ["CONNECT, allowed", "allowed", (u: Upstream) => connect(byHeader(u)), 200, "pong"],
    ["CONNECT, denied", "denied", (u: Upstream) => connect(byHeader(u)), 403, DENIED],
    ["CONNECT, outside", "outside", (u: Upstream) => connect(byHeader(u)), 403, OUTSIDE],
    ["upgrade, allowed", "allowed", (u: Upstream) => upgrade(byHeader(u)), 101, "Switching Protocols"],
    ["upgrade, denied", "denied", (u: Upstream) => upgrade(byHeader(u)), 403, DENIED],
    ["upgrade by Host, denied", "wsDenied", (u: Upstream) => upgrade(byHost(u)), 403, DENIED],
  ] as [string, keyof typeof ups, (u: Upstream) => string, number, string][])("%s", async (_, which, request, status, needle) => {
    const u = ups[which];
    const before = u.conns.length;
    const r = await send(proxy.port, request(u), (s) => s.includes(needle));
    expect(r.status).toBe(status);
    expect(r.text).toContain(needle);
    if (status === 403) {
      expect(r.text).toContain(`port ${u.port} is not allowed`);
      // A full exchange through the proxy after the refusal: a connect the refusal had started
      // would have reached the listener by now.
      expect((await send(proxy.port, get(byHeader(ups.allowed)))).status).toBe(200);
      expect(u.conns.length).toBe(before);
    } else {
      expect(u.conns.length).toBe(before + 1);
    }
  });

  test("each request of a keep-alive connection is checked on its own", async () => {
    const before = ups.denied.conns.length;
    const keep = `GET /1 HTTP/1.1\r\n${byHeader(ups.allowed)}\r\n`;
    const r = await rawExchange(proxy.port, [keep + get(byHeader(ups.denied))], { timeoutMs: 5000 });
    expect(statuses(r.text)).toEqual([200, 403]);
    expect(r.text).toContain(`port ${ups.denied.port} is not allowed (refused by --deny-ports)`);
    expect(ups.denied.conns.length).toBe(before);
  });
});

describe("--workspace-only", () => {
  let proxy: TestProxy;
  let machine: Upstream;
  let workspace: Upstream;

  beforeAll(() => {
    machine = upstream("machine");
    workspace = upstream("workspace", WS_IP);
    proxy = startTestProxy({}, "127.0.0.1", { policy: policy({ workspaceOnly: true }) });
  });
  afterAll(async () => {
    await proxy.stop();
    machine.stop();
    workspace.stop();
  });

  const REFUSED = "no workspace named and --workspace-only is set";

  test.each([
    ["the machine's own port by header", () => get(`X-Cmux-Port-Internal: ${machine.port}\r\n`), 403, REFUSED],
    ["the machine's own port by CONNECT", () => connect(`X-Cmux-Port-Internal: ${machine.port}\r\n`), 403, REFUSED],
    ["a workspace by header", () => get(`X-Cmux-Workspace-Internal: workspace-1\r\nX-Cmux-Port-Internal: ${workspace.port}\r\n`), 200, "workspace"],
    ["a workspace by Host", () => get(`Host: workspace-1-${workspace.port}.localhost\r\n`), 200, "workspace"],
    ["a workspace by CONNECT", () => connect(`X-Cmux-Workspace-Internal: workspace-1\r\nX-Cmux-Port-Internal: ${workspace.port}\r\n`), 200, "pong"],
  ] as [string, () => string, number, string][])("%s", async (_, request, status, needle) => {
    const r = await send(proxy.port, request(), (s) => s.includes(needle));
    expect(r.status).toBe(status);
    expect(r.text).toContain(needle);
  });

  test("the machine's upstream never saw a connection", async () => {
    expect((await send(proxy.port, get(`X-Cmux-Port-Internal: ${machine.port}\r\n`))).status).toBe(403);
    expect((await send(proxy.port, get(`Host: workspace-1-${workspace.port}.localhost\r\n`))).status).toBe(200);
    expect(machine.conns.length).toBe(0);
  });
});

/** curl's answer: the status of the last response (or of the CONNECT when it failed), headers, body. */
async function curl(run: (cmd: string[]) => Promise<{ code: number; stdout: string; stderr: string }>, args: string[]) {
  const r = await run(["curl", "-s", "--max-time", "5", "-D", "-", "-w", "\n%{http_code} %{http_connect}", ...args]);
  const last = r.stdout.trimEnd().split("\n").pop()!.split(" ");
  return { code: r.code, status: Number(last[0]), connect: Number(last[1]), out: r.stdout, err: r.stderr };
}

/** Runs a command line to completion, bounded in time. */
async function run(cmd: string[]) {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const unavailable = netnsUnavailable();
describe.skipIf(unavailable !== null)(`the token from a peer that is not loopback (a network namespace)${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let ns: NetNs;
  let proxy: TestProxy;
  let up: Upstream;
  let remote: number;
  let local: number;

  beforeAll(() => {
    ns = createNetNs();
    up = upstream("up");
    const listen: ListenAddress[] = [
      { host: HOST_ADDR, port: 0, family: 4 },
      { host: "127.0.0.1", port: 0, family: 4 },
    ];
    proxy = startTestProxy({}, "127.0.0.1", { policy: policy({ authToken: TOKEN }), listen });
    remote = proxy.proxy.addresses[0]!.port;
    local = proxy.proxy.addresses[1]!.port;
  });
  afterAll(async () => {
    try {
      await proxy?.stop();
      up?.stop();
    } finally {
      ns?.destroy();
    }
  });

  const inside = (cmd: string[]) => run(ns.exec(cmd));
  const url = () => `http://${HOST_ADDR}:${remote}/p`;
  const port = () => `X-Cmux-Port-Internal: ${up.port}`;

  test("no token: 401 with the Bearer challenge, and the upstream sees nothing", async () => {
    const before = up.conns.length;
    const r = await curl(inside, ["-H", port(), url()]);
    expect(r.status).toBe(401);
    expect(r.out).toContain('WWW-Authenticate: Bearer realm="cmux-proxy"');
    expect(r.out).toContain("missing token: send X-Cmux-Token: <token>");
    expect(up.conns.length).toBe(before);
  });

  test("a wrong token: 401 naming where it was, not echoing it", async () => {
    const r = await curl(inside, ["-H", port(), "-H", "X-Cmux-Token: not-the-token-0123456789", url()]);
    expect(r.status).toBe(401);
    expect(r.out).toContain("wrong token in X-Cmux-Token");
    expect(r.out).not.toContain("not-the-token");
  });

  test("X-Cmux-Token: forwarded without it", async () => {
    const before = up.conns.length;
    const r = await curl(inside, ["-H", port(), "-H", `X-Cmux-Token: ${TOKEN}`, url()]);
    expect(r.status).toBe(200);
    expect(up.conns.length).toBe(before + 1);
    const seen = up.conns.at(-1)!.received;
    expect(seen).toStartWith("GET /p HTTP/1.1\r\n");
    expect(seen.toLowerCase()).not.toContain("x-cmux-token");
    expect(seen).not.toContain(TOKEN);
  });

  test("the cookie: forwarded with the other cookies only, byte for byte", async () => {
    const r = await curl(inside, ["-H", port(), "-H", `Cookie: a=1; cmux_token=${TOKEN}; theme="dark mode"`, url()]);
    expect(r.status).toBe(200);
    const seen = up.conns.at(-1)!.received;
    expect(seen).toContain('\r\nCookie: a=1; theme="dark mode"\r\n');
    expect(seen).not.toContain(TOKEN);
  });

  test("CONNECT without the token: 407 from curl -p -x", async () => {
    const before = up.conns.length;
    const r = await curl(inside, ["-p", "-x", `http://${HOST_ADDR}:${remote}`, "--proxy-header", port(), "http://x/p"]);
    expect(r.connect).toBe(407);
    expect(r.out).toContain('Proxy-Authenticate: Bearer realm="cmux-proxy"');
    expect(up.conns.length).toBe(before);
  });

  test("CONNECT with Proxy-Authorization: Bearer, by curl -p -x --proxy-header", async () => {
    const r = await curl(inside, [
      "-p",
      "-x",
      `http://${HOST_ADDR}:${remote}`,
      "--proxy-header",
      `Proxy-Authorization: Bearer ${TOKEN}`,
      "--proxy-header",
      port(),
      "http://x/p",
    ]);
    expect(r.connect).toBe(200);
    expect(r.status).toBe(200);
    expect(r.out).toContain("up");
    // Inside the tunnel the upstream sees curl's own request, which never held the token.
    expect(up.conns.at(-1)!.received).not.toContain(TOKEN);
  });

  test("a loopback peer needs no token without --auth-loopback", async () => {
    const r = await curl(run, ["-H", port(), `http://127.0.0.1:${local}/p`]);
    expect(r.status).toBe(200);
  });

  test("the upstream never received the token in any request", () => {
    for (const c of up.conns) expect(c.received).not.toContain(TOKEN);
  });
});

describe("--auth-loopback: loopback peers need the token too", () => {
  let proxy: TestProxy;
  let up: Upstream;

  beforeAll(() => {
    up = upstream("up");
    proxy = startTestProxy({}, "127.0.0.1", { policy: policy({ authToken: TOKEN, authLoopback: true }) });
  });
  afterAll(async () => {
    await proxy.stop();
    up.stop();
  });

  const proxyUrl = () => `http://127.0.0.1:${proxy.port}`;

  test("curl -p -x without the token: 407, no upstream connection", async () => {
    const r = await curl(run, ["-p", "-x", proxyUrl(), "--proxy-header", `X-Cmux-Port-Internal: ${up.port}`, "http://x/"]);
    expect(r.connect).toBe(407);
    expect(up.conns.length).toBe(0);
  });

  test("curl -p -x --proxy-header 'Proxy-Authorization: Bearer T': through the tunnel", async () => {
    const r = await curl(run, [
      "-p",
      "-x",
      proxyUrl(),
      "--proxy-header",
      `Proxy-Authorization: Bearer ${TOKEN}`,
      "--proxy-header",
      `X-Cmux-Port-Internal: ${up.port}`,
      "http://x/",
    ]);
    expect(r.connect).toBe(200);
    expect(r.status).toBe(200);
    expect(up.conns.length).toBe(1);
    expect(up.conns[0]!.received).not.toContain(TOKEN);
  });

  test("curl -x (a plain proxy request) with Proxy-Authorization: forwarded without it", async () => {
    const r = await curl(run, ["-x", proxyUrl(), "--proxy-header", `Proxy-Authorization: Bearer ${TOKEN}`, "-H", `X-Cmux-Port-Internal: ${up.port}`, "http://x/abs"]);
    expect(r.status).toBe(200);
    const seen = up.conns.at(-1)!.received;
    expect(seen).toStartWith("GET /abs HTTP/1.1\r\n");
    expect(seen.toLowerCase()).not.toContain("proxy-authorization");
  });

  test("?cmux_token= on a header route: 302 to the URL without it, the cookie set", async () => {
    const r = await send(proxy.port, get(`X-Cmux-Port-Internal: ${up.port}\r\n`).replace("/p ", `/p?a=1&cmux_token=${TOKEN}&b=2 `));
    expect(r.status).toBe(302);
    expect(r.text).toContain("\r\nLocation: /p?a=1&b=2\r\n");
    expect(r.text).toContain(`\r\nSet-Cookie: cmux_token=${TOKEN}; HttpOnly; SameSite=Lax; Path=/\r\n`);
  });
});
