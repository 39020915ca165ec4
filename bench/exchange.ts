// The JavaScript cost of one keep-alive exchange through the whole client connection
// (src/proxy/connection.ts: head read, scanned, routed, the outbound head written, the response
// head read and written, the pooled upstream released and taken again), with no kernel: sockets
// that accept every write, a pool whose connect succeeds at once, and each "read" a fresh Buffer as
// Bun hands one over. What wrk's user CPU per request measures, without the kernel and the noise of
// a loaded machine: CPU nanoseconds per exchange (the fastest of five runs) and JSC cells allocated per
// exchange (`bun:jsc` heapStats in a window right after a full collection).
//
// Usage: bun bench/exchange.ts             (Markdown table; --json for one JSON line)
import { gcAndSweep, heapStats } from "bun:jsc";
import { defaultAdminConfig } from "../src/admin/config";
import { DEFAULT_LIMITS, type Config } from "../src/config";
import { configureLog } from "../src/log";
import { emptyGauges, Metrics } from "../src/metrics";
import { Deadlines } from "../src/net/deadlines";
import type { ByteSocket } from "../src/net/socket";
import { ClientConnection } from "../src/proxy/connection";
import { Upstream, UpstreamPool, type UpstreamOwner } from "../src/proxy/upstream";
import type { Target } from "../src/route";
import { EXCHANGES, type Exchange } from "./dev/heads";

configureLog("silent", false);

class NullSocket implements ByteSocket {
  written = 0;
  constructor(readonly remoteAddress = "127.0.0.1", readonly localPort = 8080) {}
  write(data: Uint8Array): number {
    this.written += data.length;
    return data.length;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  shutdown(): void {}
  terminate(): void {}
}

/** The real pool, with a connect that opens a NullSocket at once. */
class InstantPool extends UpstreamPool {
  last: Upstream | null = null;
  override connect(t: Target, owner: UpstreamOwner): Promise<Upstream> {
    const up = new Upstream(UpstreamPool.key(t), this);
    up.owner = owner;
    up.attach(new NullSocket());
    this.last = up;
    return Promise.resolve(up);
  }
}


function proxy(): { conn: ClientConnection; pool: InstantPool } {
  const deadlines = new Deadlines(() => 0);
  const metrics = new Metrics();
  const pool = new InstantPool(deadlines, 4, 8, null);
  const config: Config = { listen: [], upstreamHost: "127.0.0.1", limits: DEFAULT_LIMITS };
  const snapshot = { listeners: [], owners: new Map(), names: new Map(), errors: [] };
  const admin = { config: defaultAdminConfig(), state: { draining: false, metrics, gauges: emptyGauges, snapshot: () => Promise.resolve(snapshot), listening: [], upstreamHost: "127.0.0.1" } };
  const conn = new ClientConnection(new NullSocket(), {
    config, pool, deadlines, listening: [], localAddresses: new Set(), draining: false, metrics, admin, accessLog: null,
  });
  return { conn, pool };
}

/** One exchange: the request read, the response read; each read a new Buffer, as from a socket. */
function exchange(conn: ClientConnection, pool: InstantPool, c: Exchange): void {
  conn.onData(Buffer.from(c.request));
  const up = pool.last!;
  up.owner!.onUpstreamData(up, Buffer.from(c.response));
}

async function measure(c: Exchange) {
  const { conn, pool } = proxy();
  conn.onData(Buffer.from(c.request));
  await Promise.resolve();
  await Promise.resolve();
  const up = pool.last!;
  up.owner!.onUpstreamData(up, Buffer.from(c.response));
  for (let i = 0; i < 20_000; i++) exchange(conn, pool, c);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const n = 50_000;
    // CPU time, not wall time: on a busy machine waiting for a core is not the code's cost.
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) exchange(conn, pool, c);
    const t = process.cpuUsage(t0);
    best = Math.min(best, ((t.user + t.system) * 1e3) / n);
  }
  const window = 300;
  gcAndSweep();
  const before = heapStats().objectTypeCounts as Record<string, number>;
  for (let i = 0; i < window; i++) exchange(conn, pool, c);
  const after = heapStats().objectTypeCounts as Record<string, number>;
  let cells = 0;
  const byType: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) {
      cells += d;
      byType[k] = d / window;
    }
  }
  const top = Object.entries(byType).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  return { name: c.name, ns: best, cells: cells / window, top };
}

const results = [];
for (const c of process.env.EXCHANGE_CASE === undefined ? EXCHANGES : [EXCHANGES[Number(process.env.EXCHANGE_CASE)]!]) results.push(await measure(c));
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
else {
  console.log("| exchange | CPU ns per exchange | JSC cells per exchange | by type |\n| --- | ---: | ---: | --- |");
  for (const r of results) console.log(`| ${r.name} | ${r.ns.toFixed(0)} | ${r.cells.toFixed(1)} | ${r.top} |`);
}
