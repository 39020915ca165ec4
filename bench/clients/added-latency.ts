// Latency one request pays for the proxy: one client, one keep-alive connection straight to the
// upstream and one through the system, requests sent one at a time, alternating between the two,
// so both see the same machine at the same moment. Chromium's module request head
// (bench/dev/heads.ts). Reports each side's median and p99 round trip and their differences.
// Usage: bun bench/clients/added-latency.ts <upstream port> <system port> <seconds>
// Prints one JSON line: {"pairs":n,"direct_p50_us":..,"direct_p99_us":..,"p50_us":..,"p99_us":..,"added_p50_us":..,"added_p99_us":..}
import { browserRequest, modulePath } from "../dev/heads";
import { KeepAliveConn } from "./keepalive-conn";

const [upstreamArg, systemArg, secondsArg] = process.argv.slice(2).map(Number);
const seconds = secondsArg!;
const MAX_PAIRS = 1_000_000;
const TIMEOUT_MS = seconds * 1000 + 30_000;

setTimeout(() => {
  console.error(`added-latency: not finished within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS).unref();

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  const request = Buffer.from(browserRequest(modulePath(1), upstreamArg!), "latin1");
  const direct = await KeepAliveConn.open(upstreamArg!);
  const proxied = await KeepAliveConn.open(systemArg!);
  const d: number[] = [];
  const s: number[] = [];
  const time = async (c: KeepAliveConn, into: number[]) => {
    const t0 = performance.now();
    const status = await c.fetch(request);
    into.push((performance.now() - t0) * 1000);
    if (status !== 200) throw new Error(`status ${status}`);
  };
  // A short warm-up on both sides, not counted.
  for (let i = 0; i < 200; i++) {
    await time(direct, []);
    await time(proxied, []);
  }
  const until = performance.now() + seconds * 1000;
  while (d.length < MAX_PAIRS && performance.now() < until) {
    await time(direct, d);
    await time(proxied, s);
  }
  direct.close();
  proxied.close();
  const ds = Float64Array.from(d).sort();
  const ss = Float64Array.from(s).sort();
  const out = {
    pairs: d.length,
    direct_p50_us: percentile(ds, 50),
    direct_p99_us: percentile(ds, 99),
    p50_us: percentile(ss, 50),
    p99_us: percentile(ss, 99),
    added_p50_us: percentile(ss, 50) - percentile(ds, 50),
    added_p99_us: percentile(ss, 99) - percentile(ds, 99),
  };
  console.log(JSON.stringify(out));
  process.exit(0);
} catch (err) {
  console.error(`added-latency: ${(err as Error).message}`);
  process.exit(1);
}
