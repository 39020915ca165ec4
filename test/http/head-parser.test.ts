// Head parser tables: where a head ends (fed whole, split at every offset, byte by byte), and how
// strictly request and response heads are parsed [RFC 9112 §2-§5, docs/http-behaviour.md rows 3-10].

import { describe, expect, test } from "bun:test";
import { HttpError, upstreamFault } from "../../src/http/errors";
import { fieldTokens, fieldValues, findHeadEnd, trimOws, type HeadLimits, type HeadSpan } from "../../src/http/head-parser";
import { scanRequestHead, scanResponseHead } from "../helpers/scanned-head";

const LIMITS: HeadLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 256 };

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

/** A span, "need more at N", or the error status: one comparable value per outcome. */
type Outcome = HeadSpan | { needMore: number } | { error: number };

function outcome(r: HeadSpan | number | HttpError): Outcome {
  if (r instanceof HttpError) return { error: r.status };
  if (typeof r === "number") return { needMore: r };
  return { start: r.start, end: r.end };
}

/** Feeds `raw` in two pieces split at `at`, carrying the resume point like the connection does. */
function feedSplit(raw: string, at: number, limits: HeadLimits): Outcome {
  const all = bytes(raw);
  const first = findHeadEnd(all.slice(0, at), 0, at, 0, limits);
  if (typeof first !== "number") return outcome(first);
  return outcome(findHeadEnd(all, 0, all.length, first, limits));
}

/** Feeds `raw` one byte at a time; stops at the first span or error. */
function feedBytewise(raw: string, limits: HeadLimits): Outcome {
  const all = bytes(raw);
  let resume = 0;
  for (let k = 1; k <= all.length; k++) {
    const r = findHeadEnd(all.slice(0, k), 0, k, resume, limits);
    if (typeof r !== "number") return outcome(r);
    resume = r;
  }
  return { needMore: resume };
}

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"; // 27 bytes

describe("findHeadEnd on complete input", () => {
  test.each([
    ["minimal request", GET, { start: 0, end: 27 }],
    ["pipelined bytes after the head are not part of it", GET + "GET /2 HTTP/1.1\r\n", { start: 0, end: 27 }],
    ["body bytes after the head", "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", { start: 0, end: 38 }],
    ["request line only, no fields", "GET / HTTP/1.1\r\n\r\n", { start: 0, end: 18 }],
    ["one leading empty line skipped [9112 §2.2]", "\r\n" + GET, { start: 2, end: 29 }],
    ["four leading empty lines skipped", "\r\n\r\n\r\n\r\n" + GET, { start: 8, end: 35 }],
    ["five leading empty lines rejected", "\r\n\r\n\r\n\r\n\r\n" + GET, { error: 400 }],
    ["response head", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", { start: 0, end: 38 }],
    ["bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", { error: 400 }],
    ["bare LF ending a field line", "GET / HTTP/1.1\r\nHost: a\n\r\n", { error: 400 }],
    ["bare LF as the empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", { error: 400 }],
    ["LF LF as the end of the head", "GET / HTTP/1.1\nHost: a\n\n", { error: 400 }],
    ["bare LF as a leading empty line", "\n" + GET, { error: 400 }],
    ["partial request line", "GET / HTT", { needMore: 0 }],
    ["request line done, fields pending", "GET / HTTP/1.1\r\nHost: a", { needMore: 16 }],
    ["head missing only the final LF", "GET / HTTP/1.1\r\nHost: a\r\n\r", { needMore: 25 }],
    ["only leading empty lines so far", "\r\n\r\n", { needMore: 4 }],
  ] as [string, string, Outcome][])("%s", (_name, raw, expected) => {
    const buf = bytes(raw);
    expect(outcome(findHeadEnd(buf, 0, buf.length, 0, LIMITS))).toEqual(expected);
  });

  test("a head starting at a non-zero offset is found relative to the whole buffer", () => {
    const buf = bytes("xxxxx" + GET);
    expect(outcome(findHeadEnd(buf, 5, buf.length, 5, LIMITS))).toEqual({ start: 5, end: 32 });
  });

  test("bytes past `end` are not looked at", () => {
    const buf = bytes(GET);
    expect(outcome(findHeadEnd(buf, 0, 26, 0, LIMITS))).toEqual({ needMore: 25 });
  });
});

describe("findHeadEnd fed in two pieces split at every offset agrees with the whole input", () => {
  const cases: [string, string, Outcome][] = [
    ["request with fields", "GET /a?b=c HTTP/1.1\r\nHost: a\r\nX-Cmux-Port-Internal: 3000\r\n\r\n", { start: 0, end: 60 }],
    ["leading empty lines", "\r\n\r\n" + GET, { start: 4, end: 31 }],
    ["pipelined tail", GET + "GET / HTTP/1.1\r\n", { start: 0, end: 27 }],
    ["bare LF in a field line", "GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", { error: 400 }],
    ["bare LF as the final empty line", "GET / HTTP/1.1\r\nA: b\r\n\n", { error: 400 }],
    ["CR CR LF is not an empty line", "GET / HTTP/1.1\r\nA: b\r\r\n\r\n", { start: 0, end: 25 }],
  ];
  for (const [name, raw, expected] of cases) {
    test.each(Array.from({ length: raw.length + 1 }, (_, at) => at))(`${name}: split at %p`, (at) => {
      expect(feedSplit(raw, at, LIMITS)).toEqual(expected);
    });
    test(`${name}: one byte at a time`, () => {
      expect(feedBytewise(raw, LIMITS)).toEqual(expected);
    });
  }
});

describe("findHeadEnd size limit -> 431", () => {
  const small: HeadLimits = { maxHeadBytes: 27, maxHeaders: 256 };
  test.each([
    ["complete head exactly at the limit", GET, { start: 0, end: 27 }],
    ["complete head one byte over the limit", "GET / HTTP/1.1\r\nHost: ab\r\n\r\n", { error: 431 }],
    ["incomplete head at the limit waits", "GET / HTTP/1.1\r\nHost: abcd", { needMore: 16 }],
    ["incomplete head over the limit", "GET / HTTP/1.1\r\nHost: abcdefghijkl", { error: 431 }],
    ["incomplete head of many short lines over the limit", "GET / HTTP/1.1\r\nA: b\r\nC: d\r\nE: f\r\n", { error: 431 }],
    ["leading empty lines do not count", "\r\n\r\n" + GET, { start: 4, end: 31 }],
  ] as [string, string, Outcome][])("%s", (_name, raw, expected) => {
    const buf = bytes(raw);
    expect(outcome(findHeadEnd(buf, 0, buf.length, 0, small))).toEqual(expected);
  });

  test("the default limit: a 64 KiB + 1 byte field without an end is 431", () => {
    const buf = bytes("GET / HTTP/1.1\r\nX: " + "a".repeat(64 * 1024));
    expect(outcome(findHeadEnd(buf, 0, buf.length, 0, LIMITS))).toEqual({ error: 431 });
  });

  test("a head growing one byte at a time past the limit is stopped at 431", () => {
    expect(feedBytewise("GET / HTTP/1.1\r\nHost: " + "a".repeat(40) + "\r\n\r\n", small)).toEqual({ error: 431 });
  });
});

/** Runs the whole path the connection uses: find the end, then scan it. */
function parseRequest(raw: string, limits: HeadLimits = LIMITS) {
  const buf = bytes(raw);
  const span = findHeadEnd(buf, 0, buf.length, 0, limits);
  if (span instanceof HttpError) return span;
  if (typeof span === "number") throw new Error(`test input is not a complete head: ${JSON.stringify(raw)}`);
  return scanRequestHead(buf, span, limits);
}

function parseResponse(raw: string, limits: HeadLimits = LIMITS) {
  const buf = bytes(raw);
  const span = findHeadEnd(buf, 0, buf.length, 0, limits);
  if (span instanceof HttpError) return span;
  if (typeof span === "number") throw new Error(`test input is not a complete head: ${JSON.stringify(raw)}`);
  return scanResponseHead(buf, span, limits);
}

describe("a request head scan accepts well-formed heads", () => {
  test.each([
    [
      "method, target and query byte for byte",
      "GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n",
      { method: "GET", target: "/a?b=c", minor: 1, names: ["Host"], lower: ["host"], values: ["x"] },
    ],
    [
      "HTTP/1.0",
      "GET / HTTP/1.0\r\n\r\n",
      { method: "GET", target: "/", minor: 0, names: [], lower: [], values: [] },
    ],
    [
      "odd-case names keep their case, lower is for lookups",
      "GET / HTTP/1.1\r\nx-cmux-port-internal: 3000\r\nCONTENT-type: a\r\n\r\n",
      {
        method: "GET",
        target: "/",
        minor: 1,
        names: ["x-cmux-port-internal", "CONTENT-type"],
        lower: ["x-cmux-port-internal", "content-type"],
        values: ["3000", "a"],
      },
    ],
    [
      "OWS around values is trimmed, inner spaces kept",
      "GET / HTTP/1.1\r\nA: \t x  y \t\r\nB:z\r\nC:\r\n\r\n",
      { method: "GET", target: "/", minor: 1, names: ["A", "B", "C"], lower: ["a", "b", "c"], values: ["x  y", "z", ""] },
    ],
    [
      "repeated fields keep their order",
      "GET / HTTP/1.1\r\nSet-Cookie: a=1\r\nX: 1\r\nset-cookie: b=2\r\n\r\n",
      {
        method: "GET",
        target: "/",
        minor: 1,
        names: ["Set-Cookie", "X", "set-cookie"],
        lower: ["set-cookie", "x", "set-cookie"],
        values: ["a=1", "1", "b=2"],
      },
    ],
    [
      "obs-text (bytes >= 0x80) in a value is kept as latin1",
      "GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n",
      { method: "GET", target: "/", minor: 1, names: ["X"], lower: ["x"], values: ["caf\xe9"] },
    ],
    [
      "absolute-form target is kept as sent (rewritten later)",
      "GET http://x/y HTTP/1.1\r\n\r\n",
      { method: "GET", target: "http://x/y", minor: 1, names: [], lower: [], values: [] },
    ],
    [
      "authority-form CONNECT target",
      "CONNECT 127.0.0.1:5432 HTTP/1.1\r\n\r\n",
      { method: "CONNECT", target: "127.0.0.1:5432", minor: 1, names: [], lower: [], values: [] },
    ],
    [
      "asterisk-form OPTIONS target",
      "OPTIONS * HTTP/1.1\r\n\r\n",
      { method: "OPTIONS", target: "*", minor: 1, names: [], lower: [], values: [] },
    ],
    [
      "leading empty lines are ignored",
      "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      { method: "GET", target: "/", minor: 1, names: ["Host"], lower: ["host"], values: ["x"] },
    ],
    [
      "any token is a method",
      "M-SEARCH * HTTP/1.1\r\n\r\n",
      { method: "M-SEARCH", target: "*", minor: 1, names: [], lower: [], values: [] },
    ],
  ] as [string, string, object][])("%s", (_name, raw, expected) => {
    expect(parseRequest(raw)).toEqual(expected as never);
  });
});

describe("a request head scan rejects malformed heads", () => {
  test.each([
    // request line shape [9112 §3]
    ["two spaces after the method", "GET  / HTTP/1.1\r\n\r\n", 400],
    ["two spaces before the version", "GET /  HTTP/1.1\r\n\r\n", 400],
    ["trailing space after the version", "GET / HTTP/1.1 \r\n\r\n", 400],
    ["missing version", "GET /\r\nHost: a b\r\n\r\n", 400],
    ["missing target and version", "GET\r\n\r\n", 400],
    ["empty target", "GET  HTTP/1.1\r\n\r\n", 400],
    ["empty method", " / HTTP/1.1\r\n\r\n", 400],
    ["tab as separator", "GET\t/ HTTP/1.1\r\n\r\n", 400],
    ["space inside the target", "GET /a b HTTP/1.1\r\n\r\n", 400],
    ["control character in the target", "GET /a\x01b HTTP/1.1\r\n\r\n", 400],
    ["DEL in the target", "GET /a\x7fb HTTP/1.1\r\n\r\n", 400],
    ["method with a non-token character", "GE(T / HTTP/1.1\r\n\r\n", 400],
    ["method with a NUL", "GE\0T / HTTP/1.1\r\n\r\n", 400],
    // versions [9112 §2.3]
    ["HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", 505],
    ["HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505],
    ["HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505],
    ["lowercase http/1.1", "GET / http/1.1\r\n\r\n", 400],
    ["HTTP/1.1.1", "GET / HTTP/1.1.1\r\n\r\n", 400],
    ["HTTP/11", "GET / HTTP/11\r\n\r\n", 400],
    ["HTTP/2 (no minor)", "GET / HTTP/2\r\n\r\n", 400],
    ["garbage version", "GET / FOO\r\n\r\n", 400],
    // field names [9112 §5.1, 9110 §5.1]
    ["whitespace between name and colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["tab between name and colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400],
    ["empty field name", "GET / HTTP/1.1\r\n: x\r\n\r\n", 400],
    ["field line without a colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400],
    ["space inside a name", "GET / HTTP/1.1\r\nX Y: z\r\n\r\n", 400],
    ["control character in a name", "GET / HTTP/1.1\r\nX\x01Y: z\r\n\r\n", 400],
    ["NUL in a name", "GET / HTTP/1.1\r\nX\0: z\r\n\r\n", 400],
    ["non-ASCII byte in a name", "GET / HTTP/1.1\r\nX\xe9: z\r\n\r\n", 400],
    // obs-fold [9112 §5.2]
    ["obs-fold with a space", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400],
    ["obs-fold with a tab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400],
    ["first field line starts with a space", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400],
    // values [9110 §5.5]
    ["NUL in a value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 400],
    ["bare CR in a value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400],
    ["CR at the end of a value", "GET / HTTP/1.1\r\nX: ab\r\r\n\r\n", 400],
    ["control character in a value", "GET / HTTP/1.1\r\nX: a\x1bb\r\n\r\n", 400],
    ["DEL in a value", "GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n", 400],
    ["bare LF in a value", "GET / HTTP/1.1\r\nX: a\nb\r\n\r\n", 400],
    // head limits
    ["leading bare LF", "\nGET / HTTP/1.1\r\n\r\n", 400],
  ] as [string, string, number][])("%s -> %p", (_name, raw, status) => {
    const got = parseRequest(raw);
    expect(got).toBeInstanceOf(HttpError);
    expect((got as HttpError).status).toBe(status);
  });
});

describe("Host field [RFC 9112 §3.2]: a server MUST answer 400 to more than one Host line", () => {
  test.each([
    ["two Host lines with different values", "GET / HTTP/1.1\r\nHost: a-1.localhost\r\nHost: b-2.localhost\r\n\r\n"],
    ["two Host lines with the same value", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"],
  ])("%s -> 400", (_name, raw) => {
    const got = parseRequest(raw);
    expect(got).toBeInstanceOf(HttpError);
    expect((got as HttpError).status).toBe(400);
  });
});

describe("header count limit -> 431", () => {
  const limits: HeadLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 3 };
  test.each([
    ["exactly the limit", "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", "ok"],
    ["one over the limit", "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431],
    ["repeats count too", "GET / HTTP/1.1\r\nA: 1\r\nA: 2\r\nA: 3\r\nA: 4\r\n\r\n", 431],
  ] as [string, string, number | "ok"][])("%s -> %p", (_name, raw, expected) => {
    const got = parseRequest(raw, limits);
    expect(got instanceof HttpError ? got.status : "ok").toBe(expected);
  });

  test("the default limit: 256 fields pass, 257 are 431", () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join("");
    expect(parseRequest(`GET / HTTP/1.1\r\n${fields(256)}\r\n`)).not.toBeInstanceOf(HttpError);
    const got = parseRequest(`GET / HTTP/1.1\r\n${fields(257)}\r\n`);
    expect(got).toBeInstanceOf(HttpError);
    expect((got as HttpError).status).toBe(431);
  });
});

describe("a response head scan", () => {
  test.each([
    [
      "status, reason and fields",
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
      {
        status: 200,
        reason: "OK",
        minor: 1,
        names: ["Set-Cookie", "Set-Cookie"],
        lower: ["set-cookie", "set-cookie"],
        values: ["a=1", "b=2"],
      },
    ],
    [
      "reason with spaces",
      "HTTP/1.1 404 Not Found\r\n\r\n",
      { status: 404, reason: "Not Found", minor: 1, names: [], lower: [], values: [] },
    ],
    [
      "empty reason after the space",
      "HTTP/1.1 204 \r\n\r\n",
      { status: 204, reason: "", minor: 1, names: [], lower: [], values: [] },
    ],
    [
      "no reason and no space (tolerated)",
      "HTTP/1.1 204\r\n\r\n",
      { status: 204, reason: "", minor: 1, names: [], lower: [], values: [] },
    ],
    [
      "HTTP/1.0 response",
      "HTTP/1.0 200 OK\r\n\r\n",
      { status: 200, reason: "OK", minor: 0, names: [], lower: [], values: [] },
    ],
    [
      "interim 103",
      "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n",
      { status: 103, reason: "Early Hints", minor: 1, names: ["Link"], lower: ["link"], values: ["</a>; rel=preload"] },
    ],
  ] as [string, string, object][])("%s", (_name, raw, expected) => {
    expect(parseResponse(raw)).toEqual(expected as never);
  });

  test.each([
    ["two-digit status", "HTTP/1.1 20 OK\r\n\r\n"],
    ["four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"],
    ["non-digit status", "HTTP/1.1 2x0 OK\r\n\r\n"],
    ["lowercase version", "http/1.1 200 OK\r\n\r\n"],
    ["HTTP/2", "HTTP/2 200 OK\r\n\r\n"],
    ["two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n"],
    ["NUL in the reason", "HTTP/1.1 200 O\0K\r\n\r\n"],
    ["bare CR in the reason", "HTTP/1.1 200 O\rK\r\n\r\n"],
    ["obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"],
    ["whitespace before the colon", "HTTP/1.1 200 OK\r\nX : a\r\n\r\n"],
    ["NUL in a value", "HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n"],
    ["line without a colon", "HTTP/1.1 200 OK\r\nX\r\n\r\n"],
  ])("%s -> 502", (_name, raw) => {
    const got = parseResponse(raw);
    expect(got).toBeInstanceOf(HttpError);
    // The connection answers every refused response head through upstreamFault.
    expect(upstreamFault(got as HttpError, "head").status).toBe(502);
  });

  test("more fields than the limit -> 502 (the client is not at fault)", () => {
    const got = parseResponse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", { maxHeadBytes: 1024, maxHeaders: 1 });
    expect(got).toBeInstanceOf(HttpError);
    expect(upstreamFault(got as HttpError, "head")).toEqual(new HttpError(502, "upstream sent an invalid response head: more than 1 header fields"));
  });
});

describe("field lookups", () => {
  const fields = {
    names: ["Connection", "X", "connection", "Vary", "VARY", "Empty"],
    lower: ["connection", "x", "connection", "vary", "vary", "empty"],
    values: ["Keep-Alive, X-Foo", "1", " , Upgrade ,,", "Accept", "Origin", ""],
  };

  test.each([
    ["connection", ["Keep-Alive, X-Foo", " , Upgrade ,,"]],
    ["vary", ["Accept", "Origin"]],
    ["x", ["1"]],
    ["missing", []],
    ["Vary", []],
  ] as [string, string[]][])("fieldValues(%p)", (name, expected) => {
    expect(fieldValues(fields, name)).toEqual(expected);
  });

  test.each([
    ["connection", ["keep-alive", "x-foo", "upgrade"]],
    ["vary", ["accept", "origin"]],
    ["empty", []],
    ["missing", []],
  ] as [string, string[]][])("fieldTokens(%p): list members across lines, trimmed, lowercased, empties dropped", (name, expected) => {
    expect(fieldTokens(fields, name)).toEqual(expected);
  });
});

describe("trimOws strips SP and HTAB only [RFC 9110 §5.6.3]", () => {
  test.each([
    ["chunked", "chunked"],
    [" chunked", "chunked"],
    ["chunked\t ", "chunked"],
    ["\t a b \t", "a b"],
    ["   ", ""],
    ["", ""],
    ["chunked\u00a0", "chunked\u00a0"],
    ["\u00a0 x", "\u00a0 x"],
    ["x\r", "x\r"],
  ])("%p -> %p", (input, expected) => {
    expect(trimOws(input)).toBe(expected);
  });
});
