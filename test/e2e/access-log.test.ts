// --access-log end to end: the proxy as a process, one line on stdout per finished exchange (text,
// or JSON with --log-json), tunnels and upgrades when they close; nothing when it is off.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { waitFor } from "../helpers/wait";
import { freePort, rawExchange } from "../helpers/net";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

interface Proc {
  stdout: () => string;
  stderr: () => string;
  port: number;
  stop(): Promise<number>;
}

async function startProxy(args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const port = freePort();
  const proc = Bun.spawn(["bun", CLI, "--listen", `127.0.0.1:${port}`, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, CMUX_ACCESS_LOG: "", ...env },
  });
  let out = "";
  let err = "";
  void (async () => {
    for await (const c of proc.stdout) out += new TextDecoder().decode(c);
  })();
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  if (!(await waitFor(() => err.includes("listening on"), 10_000))) {
    proc.kill("SIGKILL");
    throw new Error(`proxy did not start: ${err}`);
  }
  return {
    stdout: () => out,
    stderr: () => err,
    port,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const code = await proc.exited;
      clearTimeout(timer);
      return code;
    },
  };
}

let upstream: Server<{ n: number }>;
let workspaceUp: Server<undefined>;

beforeAll(() => {
  upstream = Bun.serve<{ n: number }>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      if (server.upgrade(req, { data: { n: 0 } })) return undefined;
      return new Response("hello from upstream");
    },
    websocket: {
      message(ws, m) {
        ws.send(m);
      },
    },
  });
  // workspace-9's IP: reached by Host routing.
  workspaceUp = Bun.serve({ hostname: "127.18.0.9", port: 0, fetch: () => new Response("ws9") });
});

afterAll(async () => {
  await upstream.stop(true);
  await workspaceUp.stop(true);
});

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

describe("text", () => {
  let p: Proc;
  beforeAll(async () => {
    p = await startProxy(["--access-log"]);
  });
  afterAll(async () => {
    await p.stop();
  });

  test("a request by header, one by Host, an unrouted one: a line each, in order", async () => {
    const before = lines(p.stdout()).length;
    await fetch(`http://127.0.0.1:${p.port}/a?x=1`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } }).then((r) => r.text());
    await fetch(`http://127.0.0.1:${p.port}/b`, { headers: { Host: `workspace-9-${workspaceUp.port}.localhost:${p.port}` } }).then((r) => r.text());
    await fetch(`http://127.0.0.1:${p.port}/c`).then((r) => r.text());
    expect(await waitFor(() => lines(p.stdout()).length >= before + 3, 5000)).toBe(true);
    const [a, b, c] = lines(p.stdout()).slice(before);
    const time = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    const num = String.raw`\d+(\.\d+)?`;
    expect(a).toMatch(
      new RegExp(`^${time} 127\\.0\\.0\\.1 "GET /a\\?x=1" 200 http route=header workspace=- upstream=127\\.0\\.0\\.1:${upstream.port} in=\\d+ out=\\d+ ms=${num} connect_ms=${num}$`),
    );
    expect(b).toMatch(new RegExp(`"GET /b" 200 http route=host workspace=workspace-9 upstream=127\\.18\\.0\\.9:${workspaceUp.port} in=\\d+ out=\\d+ ms=`));
    expect(c).toMatch(/"GET \/c" 400 http route=none workspace=- upstream=- in=\d+ out=\d+ ms=[\d.]+ connect_ms=-$/);
    // Bytes out: the whole response as the client received it.
    const out = Number(/ out=(\d+)/.exec(a!)![1]);
    expect(out).toBeGreaterThan("hello from upstream".length);
    // The proxy's own log stays off stdout.
    expect(p.stdout()).not.toContain("listening on");
  });

  test("a CONNECT tunnel gets its line when it closes, with its bytes", async () => {
    const before = lines(p.stdout()).length;
    const r = await rawExchange(
      p.port,
      [`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${upstream.port}\r\n\r\n`, `GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
      { until: (s) => s.includes("hello from upstream"), timeoutMs: 5000 },
    );
    expect(r.text).toContain("hello from upstream");
    expect(await waitFor(() => lines(p.stdout()).slice(before).some((l) => l.includes(" tunnel ")), 5000)).toBe(true);
    const line = lines(p.stdout()).slice(before).find((l) => l.includes(" tunnel "))!;
    expect(line).toMatch(new RegExp(`"CONNECT x:1" 200 tunnel route=header workspace=- upstream=127\\.0\\.0\\.1:${upstream.port} in=(\\d+) out=(\\d+) ms=`));
    const [, inBytes, outBytes] = / in=(\d+) out=(\d+)/.exec(line)!;
    expect(Number(inBytes)).toBeGreaterThan(40);
    expect(Number(outBytes)).toBe(r.bytes.length);
  });

  test("a WebSocket gets its line when it closes", async () => {
    const before = lines(p.stdout()).length;
    const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } } as unknown as string[]);
    const echoed = new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("ping");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket error"));
      setTimeout(() => reject(new Error("no echo within 5 s")), 5000);
    });
    expect(await echoed).toBe("ping");
    // Not logged while open: only at close.
    expect(lines(p.stdout()).slice(before).some((l) => l.includes(" upgrade "))).toBe(false);
    ws.close();
    expect(await waitFor(() => lines(p.stdout()).slice(before).some((l) => l.includes(" upgrade ")), 5000)).toBe(true);
    expect(lines(p.stdout()).slice(before).find((l) => l.includes(" upgrade "))).toMatch(/"GET \/ws" 101 upgrade route=header /);
  });
});

test("JSON lines with --log-json", async () => {
  const p = await startProxy(["--access-log", "--log-json"]);
  try {
    await fetch(`http://127.0.0.1:${p.port}/j`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } }).then((r) => r.text());
    expect(await waitFor(() => lines(p.stdout()).length >= 1, 5000)).toBe(true);
    const rec = JSON.parse(lines(p.stdout())[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ client: "127.0.0.1", method: "GET", path: "/j", kind: "http", route: "header", workspace: null, upstream: `127.0.0.1:${upstream.port}`, status: 200 });
    expect(Object.keys(rec).sort()).toEqual(["bytes_in", "bytes_out", "client", "connect_ms", "duration_ms", "kind", "method", "path", "route", "status", "time", "upstream", "workspace"]);
  } finally {
    await p.stop();
  }
});

test("off by default: nothing on stdout; CMUX_ACCESS_LOG=1 turns it on", async () => {
  const off = await startProxy([]);
  try {
    await fetch(`http://127.0.0.1:${off.port}/`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } }).then((r) => r.text());
    await fetch(`http://127.0.0.1:${off.port}/healthz`, { headers: { Host: "cmux.localhost" } }).then((r) => r.text());
  } finally {
    expect(await off.stop()).toBe(0);
  }
  expect(off.stdout()).toBe("");
  const on = await startProxy([], { CMUX_ACCESS_LOG: "1" });
  try {
    await fetch(`http://127.0.0.1:${on.port}/env`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } }).then((r) => r.text());
    expect(await waitFor(() => on.stdout().includes(`"GET /env" 200 http`), 5000)).toBe(true);
  } finally {
    await on.stop();
  }
});

test("lines still batched at SIGTERM are written before the exit", async () => {
  const p = await startProxy(["--access-log"]);
  await fetch(`http://127.0.0.1:${p.port}/last`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } }).then((r) => r.text());
  expect(await p.stop()).toBe(0);
  expect(p.stdout()).toContain(`"GET /last" 200 http`);
});
