// Soak (CMUX_HEAVY=1; SOAK_SECONDS, default 180): mixed load against the proxy process for minutes,
// every byte checked. Workers loop over keep-alive GETs (Content-Length and chunked bodies), uploads
// (Content-Length and chunked, echoed back), WebSocket echo sessions, CONNECT tunnels to an echo
// server, and clients that vanish mid-request, mid-upload, mid-download or mid-tunnel. Every body
// that arrives must be byte-exact; afterwards the proxy's descriptors are back where they started and
// its memory has stopped growing.

import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { cliWithFdLimit } from "../helpers/fd-limit";
import { HEAVY } from "../helpers/heavy";
import { HttpConn } from "../helpers/http-client";
import { writeAll } from "../helpers/net";
import { HeadSplitter } from "../helpers/head-split";
import { PatternChecker, patternBytes, patternSlice } from "../helpers/pattern";
import { fdCount, socketCount } from "../helpers/proc-stats";
import { Wake, waitFor } from "../helpers/wait";
import { rssKiB, spawnProxy, type ProxyProcess } from "../helpers/proxy-process";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const WORKERS = 16;
const SCENARIO_TIMEOUT_MS = 60_000;

interface Tally {
  requests: number;
  wsMessages: number;
  tunnels: number;
  bytesChecked: number;
  faults: number;
  errors: string[];
}

let seedCounter = 1;
const nextSeed = () => seedCounter++;

function rand(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Body sizes: mostly small, sometimes large. */
function size(): number {
  const r = Math.random();
  if (r < 0.6) return rand(16 * 1024);
  if (r < 0.9) return rand(256 * 1024);
  if (r < 0.98) return rand(2 << 20);
  return 4 << 20;
}

function checked(t: Tally, seed: number, expect: number): { add: (b: Uint8Array) => void; verify: (what: string) => void } {
  const c = new PatternChecker(seed);
  return {
    add: (b) => c.add(b),
    verify: (what) => {
      if (c.bad !== -1) throw new Error(`${what}: byte ${c.bad} differs (seed ${seed})`);
      if (c.got !== expect) throw new Error(`${what}: ${c.got} bytes, expected ${expect}`);
      t.bytesChecked += c.got;
    },
  };
}

function chunkedEncoding(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let off = 0; off < body.length; ) {
    const n = Math.min(body.length - off, 1 + rand(64 * 1024));
    parts.push(Buffer.from(`${n.toString(16)}\r\n`, "latin1"), body.subarray(off, off + n), Buffer.from("\r\n", "latin1"));
    off += n;
  }
  parts.push(Buffer.from("0\r\n\r\n", "latin1"));
  return Buffer.concat(parts);
}

interface Env {
  proxyPort: number;
  appPort: number;
  echoPort: number;
}

const route = (e: Env) => `Host: soak\r\nX-Cmux-Port-Internal: ${e.appPort}\r\n`;

async function keepAliveGets(e: Env, t: Tally): Promise<void> {
  const conn = await HttpConn.open(e.proxyPort);
  try {
    for (let i = 1 + rand(10); i > 0; i--) {
      const seed = nextSeed();
      const n = size();
      const mode = Math.random() < 0.5 ? "length" : "stream";
      const c = checked(t, seed, n);
      const r = await conn.exchange(`GET /data?seed=${seed}&size=${n}&mode=${mode} HTTP/1.1\r\n${route(e)}\r\n`, null, c.add);
      if (r.status !== 200) throw new Error(`GET: status ${r.status}`);
      c.verify(`GET ${mode} ${n}`);
      t.requests++;
      if (!r.reusable) break;
    }
  } finally {
    conn.close();
  }
}

async function uploads(e: Env, t: Tally): Promise<void> {
  const conn = await HttpConn.open(e.proxyPort);
  try {
    for (let i = 1 + rand(3); i > 0; i--) {
      const seed = nextSeed();
      const body = patternBytes(seed, size());
      const chunked = Math.random() < 0.4;
      const framing = chunked ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${body.length}\r\n`;
      const c = checked(t, seed, body.length);
      const r = await conn.exchange(`POST /echo HTTP/1.1\r\n${route(e)}${framing}\r\n`, chunked ? chunkedEncoding(body) : body, c.add);
      if (r.status !== 200) throw new Error(`upload: status ${r.status}`);
      c.verify(`upload ${chunked ? "chunked" : "length"} ${body.length}`);
      t.requests++;
    }
  } finally {
    conn.close();
  }
}

async function webSocket(e: Env, t: Tally): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${e.proxyPort}/ws`, { headers: { "X-Cmux-Port-Internal": String(e.appPort) } } as unknown as string[]);
  ws.binaryType = "arraybuffer";
  const inbox: Uint8Array[] = [];
  const wake = new Wake();
  let failed: string | null = null;
  ws.onmessage = (m) => {
    inbox.push(new Uint8Array(m.data as ArrayBuffer));
    wake.notify();
  };
  ws.onerror = () => {
    failed = "WebSocket error";
    wake.notify();
  };
  ws.onclose = () => {
    failed ??= "WebSocket closed early";
    wake.notify();
  };
  const until = async (cond: () => boolean) => {
    await waitFor(() => cond() || failed !== null, 20_000, 100, wake);
    if (!cond()) throw new Error(failed ?? "WebSocket timed out");
  };
  await until(() => ws.readyState === WebSocket.OPEN);
  try {
    for (let i = 1 + rand(10); i > 0; i--) {
      const seed = nextSeed();
      const n = rand(64 * 1024);
      ws.send(patternBytes(seed, n));
      await until(() => inbox.length > 0);
      const c = checked(t, seed, n);
      c.add(inbox.shift()!);
      c.verify(`WebSocket message ${n}`);
      t.wsMessages++;
    }
  } finally {
    ws.onclose = null;
    ws.close();
  }
}

/** Raw CONNECT to the echo server: every byte sent comes back. */
async function tunnel(e: Env, t: Tally): Promise<void> {
  const seed = nextSeed();
  const n = size();
  const c = checked(t, seed, n);
  const split = new HeadSplitter();
  let got = 0;
  let closed = false;
  const wake = new Wake();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port: e.proxyPort,
    socket: {
      data(_s, b) {
        const body = split.feed(b);
        if (body === null) return;
        c.add(body);
        got += body.length;
        wake.notify();
      },
      close() {
        closed = true;
        wake.notify();
      },
      error() {},
    },
  });
  try {
    // Tunnel bytes follow the head at once, before the 200 (the proxy holds them until it connects).
    s.write(`CONNECT 127.0.0.1:${e.echoPort} HTTP/1.1\r\nHost: 127.0.0.1:${e.echoPort}\r\nX-Cmux-Port-Internal: ${e.echoPort}\r\n\r\n`);
    for (let off = 0; off < n; ) {
      const part = patternSlice(seed, off, n - off);
      await writeAll(s, part);
      off += part.length;
    }
    // Wait for the 200 too: an empty tunnel has no bytes to wait for.
    if (!(await waitFor(() => (got >= n && split.complete) || closed, 30_000, 100, wake))) throw new Error(`${got} of ${n} bytes echoed`);
    if (!split.head.startsWith("HTTP/1.1 200 ")) throw new Error(`CONNECT answered ${JSON.stringify(split.head.slice(0, 40))}`);
    c.verify(`tunnel ${n}`);
    t.tunnels++;
  } finally {
    s.end();
  }
}

/** A client that disappears at an awkward moment (reset or plain close). */
async function vanish(e: Env, t: Tally): Promise<void> {
  const how = rand(6);
  const s: Socket<undefined> = await Bun.connect({ hostname: "127.0.0.1", port: e.proxyPort, socket: { data() {}, error() {} } });
  const leave = () => (Math.random() < 0.5 ? s.terminate() : s.end());
  switch (how) {
    case 0:
      // Mid-download of 4 MiB.
      s.write(`GET /data?seed=1&size=${4 << 20}&mode=stream HTTP/1.1\r\n${route(e)}\r\n`);
      await Bun.sleep(rand(50));
      break;
    case 1:
      // Mid-upload.
      s.write(`POST /echo HTTP/1.1\r\n${route(e)}Content-Length: ${1 << 20}\r\n\r\n`);
      await writeAll(s, patternBytes(1, rand(256 * 1024)));
      break;
    case 2:
      // Mid-head.
      s.write(`GET /data?seed=1&size=10 HTTP/1.1\r\nHost: so`);
      await Bun.sleep(rand(20));
      break;
    case 3:
      // Before saying anything.
      break;
    case 4:
      // Mid-tunnel.
      s.write(`CONNECT 127.0.0.1:${e.echoPort} HTTP/1.1\r\nX-Cmux-Port-Internal: ${e.echoPort}\r\n\r\n`);
      await writeAll(s, patternBytes(1, rand(128 * 1024)));
      break;
    default:
      // While the upstream is still answering.
      s.write(`GET /slow HTTP/1.1\r\n${route(e)}\r\n`);
      await Bun.sleep(rand(100));
      break;
  }
  leave();
  t.faults++;
}

const SCENARIOS: [number, (e: Env, t: Tally) => Promise<void>][] = [
  [35, keepAliveGets],
  [20, uploads],
  [15, webSocket],
  [15, tunnel],
  [15, vanish],
];

function pick(): (e: Env, t: Tally) => Promise<void> {
  let r = rand(100);
  for (const [w, f] of SCENARIOS) {
    if (r < w) return f;
    r -= w;
  }
  return SCENARIOS[0]![1];
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no progress in ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function startApp() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    async fetch(req, server) {
      const url = new URL(req.url);
      if (url.pathname === "/ws") return server.upgrade(req) ? undefined : new Response("upgrade failed", { status: 400 });
      if (url.pathname === "/echo") return new Response(await req.arrayBuffer());
      if (url.pathname === "/slow") return Bun.sleep(200).then(() => new Response("slow"));
      const seed = Number(url.searchParams.get("seed"));
      const n = Number(url.searchParams.get("size"));
      if (url.searchParams.get("mode") !== "stream") return new Response(patternBytes(seed, n));
      let off = 0;
      return new Response(
        new ReadableStream({
          type: "direct",
          async pull(ctrl) {
            while (off < n) {
              const part = patternSlice(seed, off, Math.min(n - off, 32 * 1024));
              off += part.length;
              ctrl.write(part);
              await ctrl.flush();
            }
            ctrl.close();
          },
        }),
      );
    },
    websocket: {
      message(ws, m) {
        ws.send(m);
      },
    },
  });
}

/** A TCP echo server with backpressure, for the tunnels. */
function startEcho() {
  const pending = new Map<Socket<undefined>, Uint8Array>();
  return Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: false,
    socket: {
      data(s, b) {
        const n = s.write(b);
        if (n < b.length) {
          pending.set(s, new Uint8Array(b.subarray(Math.max(0, n))));
          s.pause();
        }
      },
      drain(s) {
        const rest = pending.get(s);
        if (rest === undefined) return;
        const n = s.write(rest);
        if (n < rest.length) pending.set(s, rest.subarray(Math.max(0, n)));
        else {
          pending.delete(s);
          s.resume();
        }
      },
      close(s) {
        pending.delete(s);
      },
      error() {},
    },
  });
}

test.skipIf(!HEAVY)(`soak: ${SECONDS} s of mixed load, every byte checked, nothing left behind`, async () => {
  const app = startApp();
  const echo = startEcho();
  let proxy: ProxyProcess | null = null;
  try {
    proxy = await spawnProxy(["--listen", "127.0.0.1:0"], {}, cliWithFdLimit(65536));
    const pid = proxy.proc.pid;
    const env: Env = { proxyPort: proxy.ports[0]!, appPort: app.port!, echoPort: echo.port };
    const fds0 = fdCount(pid);
    const sockets0 = socketCount(pid);
    const rss0 = rssKiB(pid);
    const tally: Tally = { requests: 0, wsMessages: 0, tunnels: 0, bytesChecked: 0, faults: 0, errors: [] };
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssKiB(pid)), 5000);
    const stopAt = Date.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < stopAt && tally.errors.length < 20) {
          const f = pick();
          try {
            await withTimeout(f(env, tally), SCENARIO_TIMEOUT_MS, f.name);
          } catch (e) {
            tally.errors.push(`${f.name}: ${(e as Error).message}`);
          }
        }
      }),
    );
    clearInterval(sampler);
    const loadSeconds = (performance.now() - t0) / 1000;
    const rssLoadMax = Math.max(rss0, ...rss);
    // Pooled upstream connections expire 4 s after their last use; give it 15.
    const fdsBack = await waitFor(() => fdCount(pid) <= fds0, 15_000, 100);
    const fds1 = fdCount(pid);
    const sockets1 = socketCount(pid);
    const rss1 = rssKiB(pid);
    const third = Math.max(1, Math.floor(rss.length / 3));
    const early = Math.max(...rss.slice(0, third));
    const late = Math.max(...rss.slice(-third));
    console.log(
      `soak: ${loadSeconds.toFixed(0)} s, ${WORKERS} workers: ${tally.requests} HTTP requests, ${tally.wsMessages} WebSocket messages, ${tally.tunnels} tunnels, ` +
        `${(tally.bytesChecked / 1048576).toFixed(1)} MiB checked byte-exact, ${tally.faults} vanishing clients, ${tally.errors.length} errors\n` +
        `  proxy fds ${fds0} -> ${fds1} (sockets ${sockets0} -> ${sockets1}); RSS ${Math.round(rss0 / 1024)} MiB at start, ` +
        `max under load ${Math.round(rssLoadMax / 1024)} MiB (first third ${Math.round(early / 1024)}, last third ${Math.round(late / 1024)}), ${Math.round(rss1 / 1024)} MiB after`,
    );
    expect(tally.errors).toEqual([]);
    expect(proxy.proc.exitCode).toBeNull();
    expect(fdsBack).toBe(true);
    expect(sockets1).toBeLessThanOrEqual(sockets0);
    // Memory: bounded under load, and not still climbing at the end.
    expect(rssLoadMax - rss0).toBeLessThan(256 * 1024);
    expect(late).toBeLessThan(early * 1.25 + 32 * 1024);
    expect(rss1 - rss0).toBeLessThan(64 * 1024);
    expect(tally.requests).toBeGreaterThan(SECONDS * 5);
    expect(tally.faults).toBeGreaterThan(SECONDS / 2);
  } finally {
    await proxy?.stop();
    app.stop(true);
    echo.stop(true);
  }
}, (SECONDS + 120) * 1000);
