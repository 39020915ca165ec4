// Allocations per exchange on the head path, the string parser + string rewrite the proxy used
// before (kept as the tests' oracle in test/oracle/string-head.ts) against the byte-range one it
// uses now (head-scan + outbound-head): find the head, parse it, route it, decide the framing
// and the Connection tokens, write the outbound head into its send buffer, for the request and for
// its response, exactly as src/proxy/connection.ts strings them together.
//
// JSC cells allocated are counted from `bun:jsc` heapStats().objectTypeCounts, which counts every
// cell allocated since the last collection: a window of a few hundred exchanges right after a full
// GC, checked to scale linearly (a collection inside the window would break that and is reported).
// Time per exchange (GC included) is the fastest of five loops of 50,000, measured before any of that.
//
// Usage: bun bench/alloc.ts            (prints a Markdown table; --json for one JSON line)
import { gcAndSweep, heapStats } from "bun:jsc";
import { requestFraming, responseFraming } from "../src/http/body";
import { fieldTokens, findHeadEnd, type HeadLimits, type HeadSpan } from "../src/http/head-parser";
import { HeadScan } from "../src/http/head-scan";
import { requestHeadBytes, responseHeadBytes } from "../src/http/outbound-head";
import { decodeHead, parseRequestHead, parseResponseHead, serializeRequestHead, serializeResponseHead } from "../test/oracle/string-head";
import { route } from "../src/route";
import { EXCHANGES, type Exchange } from "./dev/heads";

const LIMITS: HeadLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 256 };
const UPSTREAM = "127.0.0.1";


function span(buf: Uint8Array): HeadSpan {
  const s = findHeadEnd(buf, 0, buf.length, 0, LIMITS);
  if (typeof s === "number" || !("end" in s)) throw new Error("bench head is not a complete head");
  return s;
}

/** connection.ts's withHead: the serialised head (latin1) and the body bytes in one buffer. */
function withHead(head: string, body: Uint8Array | null): Buffer {
  const out = Buffer.allocUnsafe(head.length + (body === null ? 0 : body.length));
  out.write(head, 0, "latin1");
  if (body !== null) out.set(body, head.length);
  return out;
}

let sink = 0;

function stringPath(p: Exchange): void {
  const rs = span(p.request);
  const req = parseRequestHead(decodeHead(p.request, rs), LIMITS);
  if (!("names" in req)) throw new Error(req.reason);
  const target = route(req, UPSTREAM);
  const framing = requestFraming(req);
  const connection = fieldTokens(req, "connection");
  const upgrade = req.lower.includes("upgrade") && connection.includes("upgrade");
  const up = withHead(serializeRequestHead(req, { upgrade, connection }), null);
  const ss = span(p.response);
  const res = parseResponseHead(decodeHead(p.response, ss), LIMITS);
  if (!("names" in res)) throw new Error(res.reason);
  const resConnection = fieldTokens(res, "connection");
  const resFraming = responseFraming(res, req.method);
  const body = p.response.subarray(ss.end);
  const down = withHead(serializeResponseHead(res, { keepAlive: true, clientMinor: req.minor, connection: resConnection }), body);
  sink += up.length + down.length + ("port" in target ? target.port : 0) + ("kind" in framing ? framing.kind.length : 0) + ("kind" in resFraming ? resFraming.kind.length : 0);
}

// One scan per direction for the whole process: a scan is read to the end before the next head.
const requestScan = new HeadScan();
const responseScan = new HeadScan();

function bytePath(p: Exchange): void {
  const rs = span(p.request);
  const err = requestScan.scanRequest(p.request, rs, LIMITS);
  if (err !== null) throw new Error(err.reason);
  const req = requestScan.requestHead();
  const target = route(req, UPSTREAM);
  const framing = requestFraming(req);
  const connection = fieldTokens(req, "connection");
  const upgrade = req.lower.includes("upgrade") && connection.includes("upgrade");
  const up = requestHeadBytes(requestScan, { upgrade, connection }, null);
  const ss = span(p.response);
  const rerr = responseScan.scanResponse(p.response, ss, LIMITS);
  if (rerr !== null) throw new Error(rerr.reason);
  const res = responseScan.responseHead();
  const resConnection = fieldTokens(res, "connection");
  const resFraming = responseFraming(res, req.method);
  const body = p.response.subarray(ss.end);
  const down = responseHeadBytes(responseScan, { keepAlive: true, clientMinor: req.minor, connection: resConnection }, body);
  sink += up.length + down.length + ("port" in target ? target.port : 0) + ("kind" in framing ? framing.kind.length : 0) + ("kind" in resFraming ? resFraming.kind.length : 0);
}

function cells(): Record<string, number> {
  return heapStats().objectTypeCounts;
}

/** Cells allocated by `n` exchanges, by type, after a full collection (less what counting itself allocates). */
function window(run: (p: Exchange) => void, p: Exchange, n: number): Record<string, number> {
  gcAndSweep();
  const a = cells();
  const calib = cells();
  for (let i = 0; i < n; i++) run(p);
  const b = cells();
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    // `calib - a` is what one heapStats() call allocates.
    const d = (b[k] ?? 0) - (calib[k] ?? 0) - ((calib[k] ?? 0) - (a[k] ?? 0));
    if (d !== 0) out[k] = d;
  }
  return out;
}

function total(c: Record<string, number>): number {
  return Object.values(c).reduce((s, v) => s + v, 0);
}

type Measured = { cellsPerExchange: number; byType: Record<string, number>; linear: boolean; nsPerExchange: number };

/** The fastest of five loops of 50,000 exchanges (GC included): on a shared machine the others are slowed by other work. */
function timePerExchange(run: (p: Exchange) => void, p: Exchange): number {
  for (let i = 0; i < 50_000; i++) run(p); // let the JIT settle
  const iterations = 50_000;
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < iterations; i++) run(p);
    best = Math.min(best, (Bun.nanoseconds() - t0) / iterations);
  }
  return best;
}

function cellsPerExchange(run: (p: Exchange) => void, p: Exchange, ns: number): Measured {
  const n = 200;
  const one = window(run, p, n);
  const two = window(run, p, 2 * n);
  // Doubling the window doubles the count unless a collection ran inside it.
  const linear = Math.abs(total(two) - 2 * total(one)) <= 0.05 * total(two) + 8;
  const byType: Record<string, number> = {};
  for (const [k, v] of Object.entries(two)) if (v / (2 * n) >= 0.05) byType[k] = Math.round((v / (2 * n)) * 100) / 100;
  return { cellsPerExchange: total(two) / (2 * n), byType, linear, nsPerExchange: ns };
}

// Timing first, for every pair and path: full GCs and heap statistics slow whatever runs after them.
const times = EXCHANGES.map((p) => ({ strings: timePerExchange(stringPath, p), bytes: timePerExchange(bytePath, p) }));
const rows = EXCHANGES.map((p, i) => ({
  pair: p.name,
  strings: cellsPerExchange(stringPath, p, times[i]!.strings),
  bytes: cellsPerExchange(bytePath, p, times[i]!.bytes),
}));

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(rows));
} else {
  const types = (m: Measured) => Object.entries(m.byType).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log("| exchange | path | JSC cells per exchange | by type | ns per exchange |");
  console.log("| --- | --- | ---: | --- | ---: |");
  for (const r of rows) {
    for (const [path, m] of [["strings (before)", r.strings], ["byte ranges", r.bytes]] as const) {
      const note = m.linear ? "" : " (a GC ran inside the window: count unreliable)";
      console.log(`| ${r.pair} | ${path} | ${m.cellsPerExchange.toFixed(1)}${note} | ${types(m)} | ${m.nsPerExchange.toFixed(0)} |`);
    }
  }
}
if (sink === 0) console.log(""); // keeps the work observable
