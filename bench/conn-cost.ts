// What one idle keep-alive client connection costs inside the proxy, by part: the proxy runs in
// this process (src/server.ts), an upstream and bench/clients/idle-conns.ts run as children; N
// connections each complete one request and stay open. Before and after, after a full GC: the JS
// heap (bytes and cells by type), the allocator's bytes (mimalloc: Bun's native socket state and
// the rest) and the process's anonymous RSS; then the shallow size of one of each per-connection
// object. Measured after the upstream pool's sockets have idled out (4 s), so only client
// connections are counted.
// Usage: bun bench/conn-cost.ts [connections]     (default 2000)
import { estimateShallowMemoryUsageOf, gcAndSweep, heapStats, memoryUsage } from "bun:jsc";
import { readFileSync } from "node:fs";
import { DEFAULT_LIMITS } from "../src/config";
import { configureLog } from "../src/log";
import { Metrics } from "../src/metrics";
import { Deadlines } from "../src/net/deadlines";
import { ClientConnection } from "../src/proxy/connection";
import { startProxy } from "../src/server";
import { freePort, HOST } from "./net";

configureLog("silent", false);
const n = Number(process.argv[2] ?? 2000);
const POOL_IDLE_MS = 5000;
const TIMEOUT_MS = 60_000;

setTimeout(() => {
  console.error(`conn-cost: not finished within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS).unref();

function anonKiB(): number {
  const m = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync("/proc/self/smaps_rollup", "utf8"));
  return Number(m?.[1] ?? 0);
}

function snapshot() {
  gcAndSweep();
  const h = heapStats();
  return { heap: h.heapSize, types: h.objectTypeCounts, malloc: memoryUsage().current, anon: anonKiB() * 1024 };
}

const upstreamPort = freePort();
const upstream = Bun.spawn([process.execPath, "-e", `Bun.serve({ hostname: "${HOST}", port: ${upstreamPort}, fetch: () => new Response("ok") })`], { stdout: "ignore" });
const proxy = startProxy({ listen: [{ host: HOST, port: 0, family: 4 }], upstreamHost: HOST, limits: { ...DEFAULT_LIMITS, idleTimeout: 600 } });
if (typeof proxy === "string") throw new Error(proxy);
const port = proxy.addresses[0]!.port;

async function untilUp(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://${HOST}:${port}/`, { headers: { "X-Cmux-Port-Internal": String(upstreamPort), Connection: "close" } }).then(
      (r) => r.text().then((t) => t === "ok"),
      () => false,
    );
    if (ok) return;
    await Bun.sleep(25);
  }
  throw new Error("upstream did not come up");
}

try {
  await untilUp();
  await Bun.sleep(POOL_IDLE_MS);
  const before = snapshot();
  const client = Bun.spawn([process.execPath, `${import.meta.dir}/clients/idle-conns.ts`, String(port), String(upstreamPort), String(n)], { stdin: "pipe", stdout: "pipe" });
  const reader = (client.stdout as ReadableStream<Uint8Array>).getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const ready = JSON.parse(first.split("\n")[0]!) as { ready: number; failed: number };
  if (ready.failed > 0) throw new Error(`${ready.failed} connections failed`);
  // The pooled upstream connections of those requests idle out: only client connections remain.
  await Bun.sleep(POOL_IDLE_MS);
  const after = snapshot();

  const per = (a: number, b: number) => (b - a) / n;
  const types: [string, number][] = [];
  for (const k of new Set([...Object.keys(before.types), ...Object.keys(after.types)])) {
    const d = per(before.types[k] ?? 0, after.types[k] ?? 0);
    if (Math.abs(d) >= 0.5) types.push([k, Math.round(d * 100) / 100]);
  }
  types.sort((a, b) => b[1] - a[1]);
  console.log(`${n} idle client connections (one request each), per connection:`);
  console.log(`  JS heap:              ${(per(before.heap, after.heap)).toFixed(0)} bytes`);
  console.log(`  allocator (outside the JS heap): ${(per(before.malloc, after.malloc)).toFixed(0)} bytes`);
  console.log(`  anonymous RSS:        ${(per(before.anon, after.anon)).toFixed(0)} bytes`);
  console.log(`  JSC cells by type:    ${types.map(([k, v]) => `${k} ${v}`).join(", ")}`);

  // One of each object a connection holds, built beside the real ones (a connection's fields are
  // private), on a real socket of this process.
  const socket = await Bun.connect({ hostname: HOST, port, socket: { data() {} } });
  const deadlines = new Deadlines();
  const ctx = {
    config: { listen: [], upstreamHost: HOST, limits: DEFAULT_LIMITS },
    pool: null as never,
    deadlines,
    listening: [],
    localAddresses: new Set<string>(),
    draining: false,
    metrics: new Metrics(),
    admin: null as never,
    accessLog: null,
  };
  const conn = new ClientConnection(socket as never, ctx);
  const fields = conn as unknown as { out: { queue: object } };
  const sizes = {
    ClientConnection: estimateShallowMemoryUsageOf(conn),
    Outbox: estimateShallowMemoryUsageOf(fields.out),
    "its empty queue": estimateShallowMemoryUsageOf(fields.out.queue),
    "Bun socket (JS wrapper)": estimateShallowMemoryUsageOf(socket),
  };
  console.log(`  shallow sizes (bytes): ${Object.entries(sizes).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  deadlines.stop();
  socket.end();
  (client.stdin as import("bun").FileSink).write("report\n");
  await (client.stdin as import("bun").FileSink).flush();
  await Promise.race([client.exited, Bun.sleep(5000)]);
  client.kill();
} finally {
  upstream.kill();
  await proxy.stop(false);
}
process.exit(0);
