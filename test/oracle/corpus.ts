// The heads the differential tests run both implementations over: every string literal of the
// head-parser and rewrite tables that holds a head, and seeded random heads from the fuzz
// generators (valid, byte-mutated, smuggling-mutated), with the fields the proxy acts on
// (hop-by-hop, Connection lists, internal routing headers, Content-Length lists, forwarded
// headers) spliced in at random places, in random case, with random whitespace.

import { readFileSync } from "node:fs";
import type { HeadLimits } from "../../src/http/head-parser";
import { genRequest, genResponse, mutateBytes, requestHead, responseHead, serializeRequest, serializeResponse, smuggleRequest, smuggleResponse } from "../fuzz/http-gen";
import type { Rng } from "../fuzz/prng";

export interface CorpusHead {
  raw: string;
  limits: HeadLimits;
  label: string;
}

export const LIMITS: HeadLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 256 };

// A JS string literal in double quotes (the tables use no other quoting for heads).
const LITERAL = /"(?:[^"\\\n]|\\.)*"/g;

/** Every double-quoted literal of a test file that looks like a head (has a CRLF). */
export function tableHeads(file: string): string[] {
  const src = readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(LITERAL)) {
    // A literal, parsed as JavaScript parses it (\x01, \0, \t ...); nothing else is evaluated.
    const value = new Function(`return ${m[0]};`)() as string;
    if (value.includes("\r\n")) out.push(value);
  }
  return out;
}

const EXTRA_LINES = [
  "Connection: close",
  "Connection: keep-alive",
  "Connection: Upgrade",
  "Connection: keep-alive, Upgrade",
  "Connection: X-Foo",
  "Connection: x-foo, TE",
  "Connection: , Content-Length ,",
  "Connection: Host, Transfer-Encoding",
  "Connection: accept, COOKIE",
  "Connection: x-cmux-thing",
  "Connection: close, X-Forwarded-For",
  "Connection: \tX-Bar ,,keep-alive",
  "X-Foo: 1",
  "x-bar: 2",
  "Upgrade: websocket",
  "Keep-Alive: timeout=5",
  "TE: trailers",
  "Trailer: Expires",
  "Proxy-Connection: keep-alive",
  "X-Cmux-Port-Internal: 3000",
  "x-cmux-workspace-internal: workspace-1",
  "X-Cmux-Other-Internal: y",
  "X-Cmux-Internal: z",
  "X-Cmux-Thing: kept",
  "X-Cmux-: kept",
  "Content-Length: 5",
  "Content-Length: 5, 5",
  "content-length:7 ,7",
  "Content-Length: 5 \t, 5",
  "Accept: */*",
  "Cookie: a=b; c=d",
  "Proxy-Authorization: Bearer t",
  "X-Forwarded-For: 10.0.0.1",
  "X-Forwarded-Proto: https",
  "X-Forwarded-Host: a.test",
  "X-Forwarded-Port: 443",
  "Expect: 100-continue",
  "Host: x-1.localhost",
  "Te: x",
  "Hostx: a",
  "Hos: a",
];

function recase(rng: Rng, s: string): string {
  if (rng.chance(0.6)) return s;
  if (rng.chance(0.5)) return rng.chance(0.5) ? s.toLowerCase() : s.toUpperCase();
  return [...s].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join("");
}

function extraLine(rng: Rng): string {
  const line = rng.pick(EXTRA_LINES);
  const colon = line.indexOf(":");
  const ows = () => rng.pick(["", "", " ", "  ", "\t", " \t"]);
  return `${recase(rng, line.slice(0, colon))}:${ows()}${line.slice(colon + 1).trim()}${ows()}`;
}

/** `head` (ending in CRLFCRLF) with a few extra field lines spliced in between its lines. */
function splice(rng: Rng, head: string): string {
  const end = head.length - 2;
  const lines = head.slice(0, end).split("\r\n");
  lines.pop();
  const first = lines.findIndex((l) => l !== "");
  for (let n = rng.range(1, 5); n > 0; n--) lines.splice(rng.range(first + 1, lines.length), 0, extraLine(rng));
  return lines.join("\r\n") + "\r\n\r\n";
}

function small(rng: Rng): HeadLimits {
  return { maxHeadBytes: rng.range(20, 400), maxHeaders: rng.range(0, 6) };
}

/** `n` random request heads (some with bodies after them, which the scan must not look at). */
export function randomRequests(rng: Rng, n: number): CorpusHead[] {
  const out: CorpusHead[] = [];
  for (let i = 0; i < n; i++) {
    const r = genRequest(rng, { llhttpSafe: false });
    const k = rng.int(10);
    if (k < 4) out.push({ raw: splice(rng, requestHead(r)), limits: LIMITS, label: "request with proxy fields" });
    else if (k < 6) out.push({ raw: serializeRequest(r), limits: LIMITS, label: "valid request" });
    else if (k < 9) out.push({ raw: mutateBytes(rng, rng.chance(0.5) ? serializeRequest(r) : splice(rng, requestHead(r))), limits: rng.chance(0.2) ? small(rng) : LIMITS, label: "mutated request" });
    else out.push({ raw: smuggleRequest(rng, r).raw, limits: LIMITS, label: "smuggled request" });
  }
  return out;
}

export function randomResponses(rng: Rng, n: number): CorpusHead[] {
  const out: CorpusHead[] = [];
  for (let i = 0; i < n; i++) {
    const r = genResponse(rng, { llhttpSafe: false });
    const k = rng.int(10);
    if (k < 4) out.push({ raw: splice(rng, responseHead(r)), limits: LIMITS, label: "response with proxy fields" });
    else if (k < 6) out.push({ raw: serializeResponse(r), limits: LIMITS, label: "valid response" });
    else if (k < 9) out.push({ raw: mutateBytes(rng, rng.chance(0.5) ? serializeResponse(r) : splice(rng, responseHead(r))), limits: rng.chance(0.2) ? small(rng) : LIMITS, label: "mutated response" });
    else out.push({ raw: smuggleResponse(rng, r).raw, limits: LIMITS, label: "smuggled response" });
  }
  return out;
}
