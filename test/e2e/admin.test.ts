// The admin Host end to end: the proxy as a real process, servers started under the shim in two
// workspaces (workspace-a, a hashed name found under --workspace-root, and workspace-7, a number)
// and one on 127.0.0.1 without it. They appear in the JSON and on the page with links that reach
// them; a server that stops disappears; metrics count what was sent; only --admin-from peers see it.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Listing, ListingGroup } from "../../src/admin/listing";
import { rawExchange } from "../helpers/net";
import { connectClient, waitClient } from "../helpers/raw-client";
import { baseEnv, buildShim, Child, freePort, REPO, removeDir, run, shimEnv } from "../ldpreload/harness";

const CLI = join(REPO, "src/cli.ts");
let root: string;
const children: Child[] = [];
let proxyPort = 0;
let portA = 0;
let port7 = 0;
let portPlain = 0;
let serverA: Child;
let server7: Child;
let plain: Child;

function start(cmd: string[], cwd: string, env: Record<string, string>): Child {
  const c = new Child(cmd, { cwd, env });
  children.push(c);
  return c;
}

const python = (port: number, bind = "127.0.0.1") => ["python3", "-m", "http.server", String(port), "--bind", bind];

beforeAll(async () => {
  await buildShim();
  root = mkdtempSync(join(tmpdir(), "cmux-admin-"));
  for (const ws of ["workspace-a", "workspace-7", "outside"]) {
    mkdirSync(join(root, ws, "app"), { recursive: true });
    writeFileSync(join(root, ws, "app", "index.html"), `served by ${ws}\n`);
  }
  portA = freePort();
  port7 = freePort();
  portPlain = freePort();
  proxyPort = freePort();
  const env = shimEnv({ PYTHONUNBUFFERED: "1" });
  serverA = start(python(portA), join(root, "workspace-a", "app"), env);
  server7 = start(python(port7), join(root, "workspace-7", "app"), env);
  plain = start(python(portPlain), join(root, "outside", "app"), baseEnv({ PYTHONUNBUFFERED: "1" }));
  const proxy = start(["bun", CLI, "--listen", `127.0.0.1:${proxyPort}`, "--workspace-root", root], REPO, baseEnv());
  await Promise.all([serverA.waitFor(/Serving HTTP/), server7.waitFor(/Serving HTTP/), plain.waitFor(/Serving HTTP/), proxy.waitFor(/listening on/)]);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  removeDir(root);
});

/** A request to the proxy with a given Host, the way a browser sends `http://<host>/<path>`. */
async function viaProxy(host: string, path: string, port = proxyPort): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Host: host }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

async function listing(): Promise<Listing> {
  const r = await viaProxy(`cmux.localhost:${proxyPort}`, "/api/listeners");
  expect(r.status).toBe(200);
  expect(r.type).toBe("application/json; charset=utf-8");
  return JSON.parse(r.body) as Listing;
}

/** Polls an async condition every 100 ms until it holds or `ms` pass. */
async function eventually(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() > until) return false;
    await Bun.sleep(100);
  }
}

const group = (l: Listing, name: string): ListingGroup | undefined => l.groups.find((g) => g.name === name);

describe("the listing", () => {
  test("both workspaces and the 127.0.0.1 server, with pid, command and links", async () => {
    const l = await listing();
    const a = group(l, "workspace-a")!;
    expect(a).toMatchObject({ kind: "workspace", ip: "127.18.176.32", source: "directory" });
    expect(a.listeners.find((e) => e.port === portA)).toMatchObject({
      address: "127.18.176.32",
      pid: serverA.proc.pid,
      url: `http://workspace-a-${portA}.localhost:${proxyPort}/`,
    });
    expect(a.listeners.find((e) => e.port === portA)!.command).toContain("http.server");
    const seven = group(l, "workspace-7")!;
    expect(seven).toMatchObject({ kind: "workspace", ip: "127.18.0.7", source: "directory" });
    expect(seven.listeners.find((e) => e.port === port7)).toMatchObject({ pid: server7.proc.pid, url: `http://workspace-7-${port7}.localhost:${proxyPort}/` });
    const dflt = l.groups.find((g) => g.kind === "default")!;
    expect(dflt.listeners.find((e) => e.port === portPlain)).toMatchObject({
      address: "127.0.0.1",
      pid: plain.proc.pid,
      url: null,
      headers: { "X-Cmux-Port-Internal": String(portPlain) },
    });
    expect(dflt.listeners.find((e) => e.port === proxyPort)).toMatchObject({ address: "127.0.0.1", proxy: true });
  });

  test("each link reaches its server through the proxy", async () => {
    const l = await listing();
    for (const [ws, port] of [["workspace-a", portA], ["workspace-7", port7]] as const) {
      const url = new URL(group(l, ws)!.listeners.find((e) => e.port === port)!.url!);
      const r = await viaProxy(url.host, url.pathname);
      expect(r).toMatchObject({ status: 200, body: `served by ${ws}\n` });
    }
    const headers = group(l, "default upstream (127.0.0.1, 0.0.0.0, ::1, ::)")!.listeners.find((e) => e.port === portPlain)!.headers!;
    const res = await fetch(`http://127.0.0.1:${proxyPort}/`, { headers, signal: AbortSignal.timeout(10_000) });
    expect(await res.text()).toBe("served by outside\n");
  });

  test("the page lists them with their links, and is self-contained", async () => {
    const r = await viaProxy(`cmux.localhost:${proxyPort}`, "/");
    expect(r.status).toBe(200);
    expect(r.type).toBe("text/html; charset=utf-8");
    expect(r.body).toContain(`<a href="http://workspace-a-${portA}.localhost:${proxyPort}/">`);
    expect(r.body).toContain(`<a href="http://workspace-7-${port7}.localhost:${proxyPort}/">`);
    expect(r.body).toContain(`<code>X-Cmux-Port-Internal: ${portPlain}</code>`);
    expect(r.body).not.toMatch(/\s(src|href)="(?!http:\/\/workspace-)/);
  });

  test("a server that stops disappears", async () => {
    const extraPort = freePort();
    const extra = start(python(extraPort), join(root, "workspace-7", "app"), shimEnv({ PYTHONUNBUFFERED: "1" }));
    await extra.waitFor(/Serving HTTP/);
    const listed = async () => group(await listing(), "workspace-7")!.listeners.some((e) => e.port === extraPort);
    // The listing is read again at most once a second: poll it, bounded.
    expect(await eventually(listed, 5000)).toBe(true);
    await extra.stop();
    expect(await eventually(async () => !(await listed()), 5000)).toBe(true);
  });
});

describe("health and metrics", () => {
  test("/healthz answers 200 ok; HEAD the same head without a body", async () => {
    expect(await viaProxy("cmux.localhost", "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    const head = await fetch(`http://127.0.0.1:${proxyPort}/healthz`, { method: "HEAD", headers: { Host: "CMUX.localhost." } });
    expect([head.status, head.headers.get("content-length"), await head.text()]).toEqual([200, "3", ""]);
  });

  test("/metrics counts requests by route kind, and promtool accepts it", async () => {
    const before = await viaProxy("cmux.localhost", "/metrics");
    const count = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
    const hostOk = `cmux_requests_total{route="host",code="2xx"}`;
    const headerOk = `cmux_requests_total{route="header",code="2xx"}`;
    const none4xx = `cmux_requests_total{route="none",code="4xx"}`;
    await viaProxy(`workspace-a-${portA}.localhost:${proxyPort}`, "/");
    await fetch(`http://127.0.0.1:${proxyPort}/`, { headers: { "X-Cmux-Port-Internal": String(portPlain) } }).then((r) => r.text());
    await viaProxy("unrouted.test", "/");
    const after = await viaProxy("cmux.localhost", "/metrics");
    expect(after.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(count(after.body, hostOk) - count(before.body, hostOk)).toBe(1);
    expect(count(after.body, headerOk) - count(before.body, headerOk)).toBe(1);
    expect(count(after.body, none4xx) - count(before.body, none4xx)).toBe(1);
    expect(count(after.body, `cmux_requests_total{route="admin",code="2xx"}`)).toBeGreaterThanOrEqual(1);
    expect(count(after.body, `cmux_parse_errors_total{status="400"}`)).toBeGreaterThanOrEqual(0);
    const check = Bun.spawn(["promtool", "check", "metrics"], { stdin: new Blob([after.body]), stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => check.kill(), 20_000);
    const [out, err, code] = await Promise.all([new Response(check.stdout).text(), new Response(check.stderr).text(), check.exited]);
    clearTimeout(timer);
    expect(out + err).toBe("");
    expect(code).toBe(0);
  });

  test("a request pipelined behind the listing waits for it, and is answered after it", async () => {
    const r = await rawExchange(
      proxyPort,
      [`GET /api/listeners HTTP/1.1\r\nHost: cmux.localhost\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${portPlain}\r\nConnection: close\r\n\r\n`],
      { timeoutMs: 10_000 },
    );
    expect(r.closed).toBe(true);
    const first = r.text.indexOf("HTTP/1.1 200 OK\r\nContent-Type: application/json");
    const second = r.text.indexOf("served by outside\n");
    expect(first).toBe(0);
    expect(second).toBeGreaterThan(r.text.indexOf('"groups"'));
  });

  test("/metrics' gauges follow open connections: a tunnel, a half-sent head", async () => {
    const gauge = async (series: string) => {
      const text = (await viaProxy("cmux.localhost", "/metrics")).body;
      return Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
    };
    const tunnelsBefore = await gauge("cmux_tunnels_open");
    const headBefore = await gauge(`cmux_client_connections_open{phase="head"}`);
    const tunnel = await connectClient(proxyPort);
    tunnel.socket.write(`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${portPlain}\r\n\r\n`);
    expect(await waitClient(tunnel, (c) => c.text.startsWith("HTTP/1.1 200"), 5000)).toBe(true);
    const partial = await connectClient(proxyPort);
    partial.socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    try {
      expect(await eventually(async () => (await gauge("cmux_tunnels_open")) === tunnelsBefore + 1, 5000)).toBe(true);
      expect(await eventually(async () => (await gauge(`cmux_client_connections_open{phase="head"}`)) === headBefore + 1, 5000)).toBe(true);
    } finally {
      tunnel.socket.end();
      partial.socket.end();
    }
    expect(await eventually(async () => (await gauge("cmux_tunnels_open")) === tunnelsBefore, 5000)).toBe(true);
    expect(await eventually(async () => (await gauge(`cmux_client_connections_open{phase="head"}`)) === headBefore, 5000)).toBe(true);
  });

  test("other admin paths and methods are answered by the proxy, never forwarded", async () => {
    expect(await viaProxy("cmux.localhost", "/nope")).toMatchObject({ status: 404 });
    const post = await fetch(`http://127.0.0.1:${proxyPort}/`, { method: "POST", body: "x", headers: { Host: "cmux.localhost" } });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    await post.text();
  });

  test("cmux-proxy healthcheck exits 0 against the running proxy", async () => {
    const r = await run(["bun", CLI, "healthcheck"], { env: baseEnv({ CMUX_LISTEN: `127.0.0.1:${proxyPort}` }) });
    expect(r).toMatchObject({ code: 0, stdout: "ok\n" });
  });
});

describe("who may see it", () => {
  test("a peer outside --admin-from gets what any unrouted request gets", async () => {
    const port = freePort();
    const proxy = start(["bun", CLI, "--listen", `127.0.0.1:${port}`, "--admin-from", "10.0.0.0/8"], REPO, baseEnv());
    await proxy.waitFor(/listening on/);
    try {
      const admin = await viaProxy(`cmux.localhost:${port}`, "/api/listeners", port);
      const unrouted = await viaProxy(`elsewhere.test:${port}`, "/api/listeners", port);
      expect(admin).toEqual(unrouted);
      expect(admin).toEqual({ status: 400, body: "missing required header: X-Cmux-Port-Internal\n", type: "text/plain; charset=utf-8" });
      expect(await viaProxy(`cmux.localhost:${port}`, "/healthz", port)).toMatchObject({ status: 400 });
    } finally {
      await proxy.stop();
    }
  });

  test("--admin-host moves the admin name; the default one is then routed like any Host", async () => {
    const port = freePort();
    const proxy = start(["bun", CLI, "--listen", `127.0.0.1:${port}`, "--admin-host", "Proxy.Test"], REPO, baseEnv());
    await proxy.waitFor(/listening on/);
    try {
      expect(await viaProxy(`proxy.test:${port}`, "/healthz", port)).toMatchObject({ status: 200, body: "ok\n" });
      expect(await viaProxy(`cmux.localhost:${port}`, "/healthz", port)).toMatchObject({ status: 400 });
    } finally {
      await proxy.stop();
    }
  });
});
