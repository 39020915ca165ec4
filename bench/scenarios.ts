// The scenarios: what each measures, on which systems, and how one measurement of one system runs.
import { type Children, logTail, waitExit } from "./children";
import { runWrk, type WrkResult } from "./clients/wrk";
import { HOST } from "./net";
import { treeCpuTicks } from "./procfs";
import { treeRss } from "./rss";
import type { ScenarioId, Settings } from "./settings";
import type { System } from "./systems";
import { FILE_BYTES, FILE_PATH } from "./upstreams";

export type Metric = { key: string; label: string; unit: string; better: "higher" | "lower" };

export type MeasureContext = { children: Children; settings: Settings };

export type Scenario = {
  id: ScenarioId;
  title: string;
  metrics: Metric[];
  /** Start each measurement from a freshly started system (memory must not carry over). */
  fresh?: boolean;
  warmup?: (ctx: MeasureContext, sys: System) => Promise<void>;
  measure: (ctx: MeasureContext, sys: System) => Promise<Record<string, number>>;
};

const MIB = 1 << 20;
const KEEPALIVE_CONNS = 64;
const CLOSE_CONNS = 64;
const BULK_CONNS = 16;
const WS_CONNS = 32;
// A browser opens at most 6 connections per host; a mid-sized Vite app loads a few hundred modules.
const PAGE_CONNS = 6;
const PAGE_MODULES = 300;
// /proc times are in USER_HZ ticks, 100 a second on Linux.
const US_PER_TICK = 10_000;
const bunScript = (name: string) => [process.execPath, `${import.meta.dir}/clients/${name}`];

const rate = (n: number, r: WrkResult) => n / (r.duration_us / 1e6);

type WrkOpts = { path: string; connections: number; close?: boolean; bodyBytes?: number };

function wrkOn(ctx: MeasureContext, sys: System, seconds: number, opts: WrkOpts) {
  const ep = sys.endpoint(opts.bodyBytes ? "post" : "http");
  return runWrk(ctx.children, ctx.settings.loadCpu, { ...opts, port: ep.port, target: ep.target, seconds });
}

async function runClient(ctx: MeasureContext, name: string, args: string[], timeoutMs: number): Promise<Record<string, number>> {
  const child = ctx.children.spawn({ name, cpu: ctx.settings.loadCpu, cmd: [...bunScript(`${name}.ts`), ...args], stdout: "pipe" });
  const out = new Response(child.proc.stdout as ReadableStream).text();
  const code = await waitExit(child, timeoutMs);
  const line = (await out).split("\n").find((l) => l.startsWith("{"));
  if (code !== 0 || !line) throw new Error(`${name} failed (exit ${code}):\n${logTail(child)}`);
  return JSON.parse(line) as Record<string, number>;
}

/** wrk's run, and the proxy's user and kernel CPU time per request during it (none for direct). */
async function wrkWithCpu(ctx: MeasureContext, sys: System, opts: WrkOpts) {
  const pid = sys.pid();
  const before = pid === undefined ? undefined : treeCpuTicks(pid);
  const r = await wrkOn(ctx, sys, ctx.settings.seconds, opts);
  const cpu: Record<string, number> = {};
  if (pid !== undefined && before !== undefined) {
    const after = treeCpuTicks(pid);
    cpu.user_us = ((after.user - before.user) * US_PER_TICK) / r.requests;
    cpu.sys_us = ((after.system - before.system) * US_PER_TICK) / r.requests;
  }
  return { r, cpu };
}

function wsPingPong(ctx: MeasureContext, sys: System, seconds: number) {
  const ep = sys.endpoint("ws");
  return runClient(ctx, "ws-pingpong", [String(ep.port), String(ep.target), String(WS_CONNS), String(seconds)], seconds * 1000 + 30_000);
}

function pageLoad(ctx: MeasureContext, sys: System, seconds: number) {
  const ep = sys.endpoint("modules");
  const args = [String(ep.port), String(ep.target), String(PAGE_CONNS), String(PAGE_MODULES), String(seconds)];
  return runClient(ctx, "page-load", args, seconds * 1000 + 30_000);
}

function addedLatency(ctx: MeasureContext, sys: System, seconds: number) {
  const ep = sys.endpoint("modules");
  // The endpoint's target is the upstream's own port: the direct side of every pair.
  return runClient(ctx, "added-latency", [String(ep.target), String(ep.port), String(seconds)], seconds * 1000 + 30_000);
}

/** One request through the system, so a fresh process has its code paths loaded before the baseline. */
async function warmRequest(sys: System) {
  const ep = sys.endpoint("http");
  const res = await fetch(`http://${HOST}:${ep.port}/`, {
    headers: { "X-Cmux-Port-Internal": String(ep.target), Connection: "close" },
    signal: AbortSignal.timeout(5000),
  });
  const body = await res.text();
  if (res.status !== 200 || body !== "ok") throw new Error(`warm-up request got ${res.status} ${JSON.stringify(body.slice(0, 100))}`);
}

/** Reads lines from a child's stdout, one at a time, each within a deadline. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return async (timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!buffered.includes("\n")) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no output within ${timeoutMs} ms`);
      let timer: Timer | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms`)), left)));
      const chunk = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error("output ended");
      buffered += decoder.decode(chunk.value);
    }
    const nl = buffered.indexOf("\n");
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    return line;
  };
}

// Lets the proxy finish whatever it does after the last request (buffers released, GC) before RSS is read.
const IDLE_SETTLE_MS = 1000;

async function idleRss(ctx: MeasureContext, sys: System): Promise<Record<string, number>> {
  const pid = sys.pid();
  if (pid === undefined) throw new Error(`${sys.name} has no process to measure`);
  await warmRequest(sys);
  const baseline = treeRss(pid);
  const n = ctx.settings.idleConnections;
  const ep = sys.endpoint("http");
  const client = ctx.children.spawn({
    name: "idle-conns",
    cpu: ctx.settings.loadCpu,
    cmd: [...bunScript("idle-conns.ts"), String(ep.port), String(ep.target), String(n)],
    stdout: "pipe",
    stdin: "pipe",
  });
  try {
    const next = lineReader(client.proc.stdout as ReadableStream<Uint8Array>);
    const opened = JSON.parse(await next(60_000)) as { ready: number; failed: number };
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${n} idle connections failed`);
    await Bun.sleep(IDLE_SETTLE_MS);
    const loaded = treeRss(pid);
    const stdin = client.proc.stdin as import("bun").FileSink;
    stdin.write("report\n");
    await stdin.flush();
    const held = JSON.parse(await next(10_000)) as { closedWhileIdle: number };
    if (held.closedWhileIdle > 0) throw new Error(`${held.closedWhileIdle} of ${n} idle connections were closed while held`);
    return { rss_mib: loaded / MIB, base_mib: baseline / MIB, kib_per_conn: (loaded - baseline) / n / 1024 };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${logTail(client)}`);
  } finally {
    await ctx.children.stop(client);
  }
}

export const SCENARIOS: Scenario[] = [
  {
    id: "a",
    title: `a. small GET, keep-alive, ${KEEPALIVE_CONNS} connections (wrk)`,
    metrics: [
      { key: "rps", label: "a. small GET keep-alive", unit: "req/s", better: "higher" },
      { key: "p50_ms", label: "a. latency p50", unit: "ms", better: "lower" },
      { key: "p99_ms", label: "a. latency p99", unit: "ms", better: "lower" },
      { key: "p999_ms", label: "a. latency p99.9", unit: "ms", better: "lower" },
      { key: "user_us", label: "a. proxy user CPU per request", unit: "us", better: "lower" },
      { key: "sys_us", label: "a. proxy kernel CPU per request", unit: "us", better: "lower" },
    ],
    warmup: async (ctx, sys) => void (await wrkOn(ctx, sys, ctx.settings.warmupSeconds, { path: "/", connections: KEEPALIVE_CONNS })),
    measure: async (ctx, sys) => {
      const { r, cpu } = await wrkWithCpu(ctx, sys, { path: "/", connections: KEEPALIVE_CONNS });
      return { rps: rate(r.requests, r), p50_ms: r.p50_us / 1000, p99_ms: r.p99_us / 1000, p999_ms: r.p999_us / 1000, ...cpu };
    },
  },
  {
    id: "b",
    title: `b. small GET, new connection per request (Connection: close), ${CLOSE_CONNS} concurrent (wrk)`,
    metrics: [{ key: "rps", label: "b. new connection per request", unit: "req/s", better: "higher" }],
    warmup: async (ctx, sys) => void (await wrkOn(ctx, sys, ctx.settings.warmupSeconds, { path: "/", connections: CLOSE_CONNS, close: true })),
    measure: async (ctx, sys) => {
      const r = await wrkOn(ctx, sys, ctx.settings.seconds, { path: "/", connections: CLOSE_CONNS, close: true });
      return { rps: rate(r.requests, r) };
    },
  },
  {
    id: "c",
    title: `c. 1 MiB GET and 1 MiB POST, keep-alive, ${BULK_CONNS} connections (wrk)`,
    metrics: [
      { key: "get_mibs", label: "c. 1 MiB GET", unit: "MiB/s", better: "higher" },
      { key: "post_mibs", label: "c. 1 MiB POST", unit: "MiB/s", better: "higher" },
    ],
    warmup: async (ctx, sys) => {
      await wrkOn(ctx, sys, ctx.settings.warmupSeconds, { path: FILE_PATH, connections: BULK_CONNS });
      await wrkOn(ctx, sys, ctx.settings.warmupSeconds, { path: "/upload", connections: BULK_CONNS, bodyBytes: FILE_BYTES });
    },
    measure: async (ctx, sys) => {
      const get = await wrkOn(ctx, sys, ctx.settings.seconds, { path: FILE_PATH, connections: BULK_CONNS });
      const post = await wrkOn(ctx, sys, ctx.settings.seconds, { path: "/upload", connections: BULK_CONNS, bodyBytes: FILE_BYTES });
      // GET counts the bytes wrk read (bodies plus heads); POST counts the bodies sent.
      return { get_mibs: rate(get.bytes, get) / MIB, post_mibs: rate(post.requests * FILE_BYTES, post) / MIB };
    },
  },
  {
    id: "d",
    title: "d. tunnel, one connection, bytes pushed to a TCP sink (CONNECT for cmux-proxy)",
    metrics: [{ key: "mibs", label: "d. CONNECT tunnel push", unit: "MiB/s", better: "higher" }],
    measure: async (ctx, sys) => {
      const ep = sys.endpoint("sink");
      const args = [String(ep.port), String(ctx.settings.connectBytes)];
      if (ep.connectTunnel) args.push("connect", String(ep.target));
      const r = await runClient(ctx, "connect-push", args, 150_000);
      return { mibs: r.bytes! / r.seconds! / MIB };
    },
  },
  {
    id: "e",
    title: `e. WebSocket echo, ${WS_CONNS} connections, one message in flight each`,
    metrics: [{ key: "rtps", label: "e. WebSocket echo", unit: "round trips/s", better: "higher" }],
    warmup: async (ctx, sys) => void (await wsPingPong(ctx, sys, ctx.settings.warmupSeconds)),
    measure: async (ctx, sys) => {
      const r = await wsPingPong(ctx, sys, ctx.settings.seconds);
      return { rtps: r.roundTrips! / r.seconds! };
    },
  },
  {
    id: "f",
    title: "f. memory with idle keep-alive connections (each has completed one request)",
    metrics: [
      { key: "rss_mib", label: "f. RSS with idle connections", unit: "MiB", better: "lower" },
      { key: "base_mib", label: "f. RSS before them", unit: "MiB", better: "lower" },
      { key: "kib_per_conn", label: "f. RSS per idle connection", unit: "KiB", better: "lower" },
    ],
    fresh: true,
    measure: idleRss,
  },
  {
    id: "g",
    title: `g. browser page load: ${PAGE_CONNS} keep-alive connections fetch ${PAGE_MODULES} modules (Chromium's request heads, Vite's response heads)`,
    metrics: [{ key: "load_ms", label: `g. page load, ${PAGE_MODULES} modules`, unit: "ms", better: "lower" }],
    warmup: async (ctx, sys) => void (await pageLoad(ctx, sys, ctx.settings.warmupSeconds)),
    measure: async (ctx, sys) => ({ load_ms: (await pageLoad(ctx, sys, ctx.settings.seconds)).median_ms! }),
  },
  {
    id: "h",
    title: "h. added latency: one client, one request at a time, alternating between direct and the system",
    metrics: [
      { key: "added_p50_us", label: "h. latency added over direct, median", unit: "us", better: "lower" },
      { key: "added_p99_us", label: "h. latency added over direct, p99", unit: "us", better: "lower" },
      { key: "p50_us", label: "h. round trip through the system, median", unit: "us", better: "lower" },
    ],
    warmup: async (ctx, sys) => void (await addedLatency(ctx, sys, ctx.settings.warmupSeconds)),
    measure: async (ctx, sys) => addedLatency(ctx, sys, ctx.settings.seconds),
  },
];
