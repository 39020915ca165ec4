// Where a's latency tail comes from: cmux-proxy (compiled, pinned to CPU 0) in front of the bench's
// module server (CPU 1) under wrk (64 keep-alive connections, CPU 1), with JSC's own GC log on
// (`BUN_JSC_logGC=1`: one line per collection with its pause). Prints wrk's p50/p99/p99.9 beside the
// collections' count, kinds and pauses, and how long one turn of the event loop over all 64
// connections takes at the measured rate (a request that arrives just after its connection was
// served waits for the rest of that turn).
// Usage: bun bench/gc-pauses.ts [seconds]      (default 5)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { Children } from "./children";
import { cmuxBinary } from "./cmux-binary";
import { freePort, HOST, waitForPort } from "./net";

const repo = resolve(import.meta.dir, "..");
const seconds = Number(process.argv[2] ?? 5);
const CONNECTIONS = 64;
const tmp = mkdtempSync(`${tmpdir()}/cmux-gc-`);
const children = new Children(tmp, 4096, 0);

try {
  const upPort = freePort();
  const up = children.spawn({ name: "modules", cmd: [process.execPath, `${repo}/bench/servers/dev-modules.ts`, String(upPort)], cpu: 1 });
  await waitForPort(upPort, up);
  const bin = cmuxBinary(repo, tmp, process.env.BENCH_CMUX_BIN);
  const port = freePort();
  const proxy = children.spawn({ name: "cmux-proxy", cmd: [bin.path, "--listen", `${HOST}:${port}`], cpu: 0, env: { BUN_JSC_logGC: "1" } });
  await waitForPort(port, proxy);
  const url = `http://${HOST}:${port}/src/components/m1.tsx`;
  const wrk = (s: number) =>
    children.spawn({
      name: "wrk",
      cmd: ["wrk", "-t1", `-c${CONNECTIONS}`, `-d${s}`, "-s", `${repo}/bench/clients/wrk-report.lua`, "-H", `X-Cmux-Port-Internal: ${upPort}`, url],
      cpu: 1,
      stdout: "pipe",
    });
  await wrk(1).proc.exited; // warm-up: the JIT and the pool
  const logBefore = readFileSync(proxy.logPath, "utf8").length;
  const run = wrk(seconds);
  const out = await new Response(run.proc.stdout as ReadableStream).text();
  await run.proc.exited;
  const r = JSON.parse(out.trim().split("\n").at(-1)!) as { requests: number; duration_us: number; p50_us: number; p99_us: number; p999_us: number };
  const log = readFileSync(proxy.logPath, "utf8").slice(logBefore);
  const pauses: number[] = [];
  const kinds: Record<string, number> = {};
  for (const m of log.matchAll(/=> (\w+Collection).*?p=([0-9.]+)ms/g)) {
    kinds[m[1]!] = (kinds[m[1]!] ?? 0) + 1;
    pauses.push(Number(m[2]));
  }
  pauses.sort((a, b) => a - b);
  const rate = r.requests / (r.duration_us / 1e6);
  const q = (p: number) => (pauses.length === 0 ? 0 : pauses[Math.min(pauses.length - 1, Math.floor(p * pauses.length))]!);
  const total = pauses.reduce((a, b) => a + b, 0);
  console.log(`| measure | value |\n| --- | ---: |`);
  console.log(`| requests/s | ${rate.toFixed(0)} |`);
  console.log(`| latency p50 / p99 / p99.9 | ${(r.p50_us / 1000).toFixed(2)} / ${(r.p99_us / 1000).toFixed(2)} / ${(r.p999_us / 1000).toFixed(2)} ms |`);
  console.log(`| one event-loop turn over ${CONNECTIONS} connections (${CONNECTIONS} / rate) | ${((CONNECTIONS / rate) * 1000).toFixed(2)} ms |`);
  console.log(`| collections | ${pauses.length} (${Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(", ")}), one per ${(r.requests / Math.max(1, pauses.length)).toFixed(0)} requests |`);
  console.log(`| GC pause median / max | ${q(0.5).toFixed(2)} / ${(pauses.at(-1) ?? 0).toFixed(2)} ms |`);
  console.log(`| time paused in GC | ${((total / (r.duration_us / 1000)) * 100).toFixed(1)}% |`);
} finally {
  await children.stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
