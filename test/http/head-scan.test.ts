// The byte-range scanner against the string parser it replaced (test/oracle/string-head.ts):
// over the head-parser tables and seeded random heads, the same accept/reject, status and reason,
// start line and fields; known names classified as the string lowercasing would; and the same
// verdict wherever the head sits inside a larger buffer.

import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors";
import { findHeadEnd, type HeadLimits, type HeadSpan } from "../../src/http/head-parser";
import { CMUX_INTERNAL, CMUX_OTHER, FORWARDED_ALIAS, HeadScan, idSet, KNOWN, known, OTHER, REQUEST_FIELDS } from "../../src/http/head-scan";
import { fuzzIterations, withSeed } from "../fuzz/prng";
import { LIMITS, randomRequests, randomResponses, tableHeads, type CorpusHead } from "../oracle/corpus";
import type { Fields, ResponseHead } from "../../src/http/head-parser";
import { decodeHead, isInternalHeader, parseRequestHead, parseResponseHead } from "../oracle/string-head";

const FILE = "test/http/head-scan.test.ts";
const N = fuzzIterations(6000);

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

/** The id the string parser's lowercase name implies. */
function expectedId(lower: string): number {
  const i = (KNOWN as readonly string[]).indexOf(lower);
  if (i !== -1) return i + 1;
  if (isInternalHeader(lower)) return CMUX_INTERNAL;
  const alias = ALIASED.indexOf(lower.replaceAll("_", "-"));
  if (lower.includes("_") && alias !== -1) return FORWARDED_ALIAS + alias;
  return lower.startsWith("x-cmux-") ? CMUX_OTHER : OTHER;
}

const ALIASED = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"];

type Side = "request" | "response";

/** The head at `at` inside a buffer with misleading bytes around it; null when the head is not complete. */
function place(raw: string, at: number, limits: HeadLimits): { buf: Uint8Array; span: HeadSpan } | HttpError | null {
  const inner = bytes(raw);
  const buf = new Uint8Array(at + inner.length + 12);
  buf.fill(10, 0, at);
  buf.set(inner, at);
  buf.set(bytes("\r\n\r\n: x\r\n\r\n"), at + inner.length);
  const span = findHeadEnd(buf, at, at + inner.length, at, limits);
  if (span instanceof HttpError) return span;
  return typeof span === "number" ? null : { buf, span };
}

function oracleView(side: Side, buf: Uint8Array, span: HeadSpan, limits: HeadLimits): unknown {
  const text = decodeHead(buf, span);
  let start: unknown[];
  let fields: Fields;
  if (side === "request") {
    const h = parseRequestHead(text, limits);
    if (h instanceof HttpError) return { status: h.status, reason: h.reason };
    start = [h.method, h.target, h.minor];
    fields = h;
  } else {
    const h: ResponseHead | HttpError = parseResponseHead(text, limits);
    if (h instanceof HttpError) return { status: h.status, reason: h.reason };
    const r = h as ResponseHead;
    start = [r.status, r.reason, r.minor];
    fields = r;
  }
  const ids = fields.lower.map(expectedId);
  return {
    start,
    fields: fields.names.map((n, i) => [n, fields.values[i], ids[i]]),
    known: fields.lower.flatMap((l, i) => (ids[i] !== OTHER && ids[i]! <= KNOWN.length ? [[l, fields.values[i]]] : [])),
  };
}

const scan = new HeadScan();

function scanView(side: Side, buf: Uint8Array, span: HeadSpan, limits: HeadLimits): unknown {
  const err = side === "request" ? scan.scanRequest(buf, span, limits) : scan.scanResponse(buf, span, limits);
  if (err !== null) return { status: err.status, reason: err.reason };
  const start = side === "request" ? [scan.method(), scan.target(), scan.minor] : [scan.status, scan.reason(), scan.minor];
  const fields = Array.from({ length: scan.count }, (_, i) => [scan.name(i), scan.value(i), scan.id[i]]);
  const k = side === "request" ? scan.requestHead(-1) : scan.responseHead(-1);
  for (let id = 0; id < FORWARDED_ALIAS + ALIASED.length; id++) expect(scan.has(id)).toBe(fields.some((f) => f[2] === id));
  return { start, fields, known: k.lower.map((l, i) => [l, k.values[i]]) };
}

/** Both readings of one head, at offset 0 and inside a larger buffer; the number of heads compared. */
function compare(side: Side, h: CorpusHead, at: number): number {
  const placed = place(h.raw, at, h.limits);
  if (placed === null || placed instanceof HttpError) return 0;
  expect(scanView(side, placed.buf, placed.span, h.limits)).toEqual(oracleView(side, placed.buf, placed.span, h.limits));
  return 1;
}

function sideOf(raw: string): Side {
  return raw.replace(/^(\r\n)+/, "").startsWith("HTTP/") ? "response" : "request";
}

describe("head-scan agrees with the string parser", () => {
  const tables = tableHeads("http/head-parser.test.ts");
  const limitsFor = [LIMITS, { maxHeadBytes: 64 * 1024, maxHeaders: 3 }, { maxHeadBytes: 64 * 1024, maxHeaders: 1 }, { maxHeadBytes: 64 * 1024, maxHeaders: 0 }];

  test("every head of the head-parser tables, as a request and as a response, under several limits", () => {
    expect(tables.length).toBeGreaterThan(80);
    let compared = 0;
    for (const raw of tables) {
      for (const limits of limitsFor) {
        for (const side of ["request", "response"] as const) {
          compared += compare(side, { raw, limits, label: "table" }, 0);
          compared += compare(side, { raw, limits, label: "table" }, 7);
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  test.each([
    ["a 40-header head grows the arrays past their first size", `GET / HTTP/1.1\r\n${Array.from({ length: 40 }, (_, i) => `X-${i}: ${i}\r\n`).join("")}Host: a\r\n\r\n`],
    ["a long line is clipped to 40 chars in the reason", `GET /${"a b".repeat(30)} HTTP/1.1\r\n\r\n`],
    ["a value with every obs-text byte", `GET / HTTP/1.1\r\nX: ${Array.from({ length: 128 }, (_, i) => String.fromCharCode(128 + i)).join("")}\r\n\r\n`],
    ["a control in a quoted line is escaped as JSON", "GET / HTTP/1.1\r\nX\x01\"y\r\n\r\n"],
    ["status 099 keeps its number", "HTTP/1.1 099 Odd\r\n\r\n"],
  ])("%s", (_name, raw) => {
    expect(compare(sideOf(raw), { raw, limits: LIMITS, label: "case" }, 3)).toBe(1);
  });

  test("seeded random requests: valid, with proxy fields, mutated, smuggled", () => {
    withSeed(FILE, (rng, note) => {
      let compared = 0;
      for (const h of randomRequests(rng, N)) {
        note(h.raw);
        compared += compare("request", h, rng.int(3) === 0 ? rng.range(1, 9) : 0);
      }
      expect(compared).toBeGreaterThan(N / 2);
    });
  });

  test("seeded random responses: valid, with proxy fields, mutated, smuggled", () => {
    withSeed(FILE, (rng, note) => {
      let compared = 0;
      for (const h of randomResponses(rng, N)) {
        note(h.raw);
        compared += compare("response", h, rng.int(3) === 0 ? rng.range(1, 9) : 0);
      }
      expect(compared).toBeGreaterThan(N / 2);
    });
  });
});

describe("requestHead decodes only the fields asked for", () => {
  const raw = "GET / HTTP/1.1\r\nHost: a\r\nCookie: c=1\r\nX: y\r\nConnection: close\r\nAccept: */*\r\nX-Cmux-Port-Internal: 1\r\n\r\n";
  test.each([
    ["what a request is decided by", REQUEST_FIELDS, [["host", "a"], ["connection", "close"], ["accept", "*/*"], ["x-cmux-port-internal", "1"]]],
    ["a set of two", idSet(["cookie", "accept"]), [["cookie", "c=1"], ["accept", "*/*"]]],
    ["none", 0, []],
  ] as [string, number, [string, string][]][])("%s", (_name, ids, expected) => {
    const buf = bytes(raw);
    expect(scan.scanRequest(buf, findHeadEnd(buf, 0, buf.length, 0, LIMITS) as HeadSpan, LIMITS)).toBeNull();
    const f = scan.requestHead(ids);
    expect(f.lower.map((l, i) => [l, f.values[i]])).toEqual(expected);
  });
});

describe("known names", () => {
  test.each([
    ["Host", known("host")],
    ["HOST", known("host")],
    ["hOsT", known("host")],
    ["Hostx", OTHER],
    ["Hos", OTHER],
    ["te", known("te")],
    ["TE", known("te")],
    ["Content-Length", known("content-length")],
    ["Content_Length", OTHER],
    ["X-Cmux-Port-Internal", known("x-cmux-port-internal")],
    ["x-cmux-workspace-internal", known("x-cmux-workspace-internal")],
    ["X-Cmux-Token-Internal", CMUX_INTERNAL],
    ["X-Cmux-Internal", CMUX_INTERNAL],
    ["X-Cmux-Host-Override", known("x-cmux-host-override")],
    ["X-Cmux-Token", known("x-cmux-token")],
    ["X-Cmux-Tokens", CMUX_OTHER],
    ["X-Cmux-", CMUX_OTHER],
    ["X-Cmux", OTHER],
    ["X-Forwarded-For", known("x-forwarded-for")],
    ["X-Forwarded-Fo", OTHER],
    ["Proxy-Authorization", known("proxy-authorization")],
    ["X_Forwarded_For", FORWARDED_ALIAS],
    ["x-forwarded_for", FORWARDED_ALIAS],
    ["X_FORWARDED_PROTO", FORWARDED_ALIAS + 1],
    ["x_forwarded-host", FORWARDED_ALIAS + 2],
    ["X_Forwarded_Port", FORWARDED_ALIAS + 3],
    ["X_Forwarded_Fo", OTHER],
    ["Accept_Encoding", OTHER],
    ["^ost", OTHER],
  ])("%s -> id %p", (name, id) => {
    const buf = bytes(`GET / HTTP/1.1\r\n${name}: v\r\n\r\n`);
    const span = findHeadEnd(buf, 0, buf.length, 0, LIMITS) as HeadSpan;
    expect(scan.scanRequest(buf, span, LIMITS)).toBeNull();
    expect(scan.id[0]).toBe(id);
    expect(scan.indexOf(id)).toBe(0);
  });
});
