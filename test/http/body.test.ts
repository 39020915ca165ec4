// Message framing tables [RFC 9112 §6, §7.1; docs/http-behaviour.md rows 12-23]: which framing a head
// implies, and the streaming chunked validator fed whole, split at every offset and byte by byte.

import { describe, expect, test } from "bun:test";
import { ChunkedScanner, requestFraming, responseFraming, type Framing } from "../../src/http/body";
import { HttpError, upstreamFault } from "../../src/http/errors";
import type { RequestHead, ResponseHead } from "../../src/http/head-parser";
import { fields } from "../helpers/fields";

function request(minor: 0 | 1, pairs: [string, string][], method = "POST"): RequestHead {
  return { method, target: "/", minor, ...fields(pairs) };
}

function response(status: number, pairs: [string, string][], minor: 0 | 1 = 1): ResponseHead {
  return { status, reason: "X", minor, ...fields(pairs) };
}

/** Framing, or the error status: one comparable value per outcome. */
function outcome(r: Framing | HttpError): Framing | { error: number } {
  return r instanceof HttpError ? { error: r.status } : r;
}

describe("requestFraming [9112 §6.1-§6.3]", () => {
  test.each([
    // row 19: no body headers -> no body, the next bytes are the next request
    ["no body headers", 1, [], { kind: "none" }],
    ["Content-Length: 5", 1, [["Content-Length", "5"]], { kind: "length", length: 5 }],
    ["Content-Length: 0 is no body", 1, [["Content-Length", "0"]], { kind: "none" }],
    ["name in odd case", 1, [["content-LENGTH", "7"]], { kind: "length", length: 7 }],
    ["leading zero", 1, [["Content-Length", "05"]], { kind: "length", length: 5 }],
    ["same value repeated in a list [9110 §8.6]", 1, [["Content-Length", "5, 5"]], { kind: "length", length: 5 }],
    ["same value on two lines", 1, [["Content-Length", "5"], ["Content-Length", "5"]], { kind: "length", length: 5 }],
    ["largest safe integer", 1, [["Content-Length", "9007199254740991"]], { kind: "length", length: 9007199254740991 }],
    ["15 digits", 1, [["Content-Length", "999999999999999"]], { kind: "length", length: 999999999999999 }],
    ["spaces around one value", 1, [["Content-Length", " 7\t"]], { kind: "length", length: 7 }],
    ["HTTP/1.0 with Content-Length", 0, [["Content-Length", "3"]], { kind: "length", length: 3 }],
    ["chunked", 1, [["Transfer-Encoding", "chunked"]], { kind: "chunked" }],
    ["coding names are case-insensitive [9112 §7]", 1, [["Transfer-Encoding", "Chunked"]], { kind: "chunked" }],
    ["chunked in upper case", 1, [["transfer-encoding", "CHUNKED"]], { kind: "chunked" }],
    // row 14
    ["Content-Length and Transfer-Encoding", 1, [["Content-Length", "5"], ["Transfer-Encoding", "chunked"]], { error: 400 }],
    ["Transfer-Encoding before Content-Length: 0", 1, [["Transfer-Encoding", "chunked"], ["Content-Length", "0"]], { error: 400 }],
    // row 15
    ["two Content-Length lines that differ", 1, [["Content-Length", "5"], ["Content-Length", "6"]], { error: 400 }],
    ["Content-Length: 5, 6", 1, [["Content-Length", "5, 6"]], { error: 400 }],
    // row 16
    ["Content-Length: +5", 1, [["Content-Length", "+5"]], { error: 400 }],
    ["Content-Length: -1", 1, [["Content-Length", "-1"]], { error: 400 }],
    ["Content-Length: 0x5", 1, [["Content-Length", "0x5"]], { error: 400 }],
    ["Content-Length: 5 5", 1, [["Content-Length", "5 5"]], { error: 400 }],
    ["Content-Length: 5.0", 1, [["Content-Length", "5.0"]], { error: 400 }],
    ["Content-Length: 1e3", 1, [["Content-Length", "1e3"]], { error: 400 }],
    ["empty Content-Length", 1, [["Content-Length", ""]], { error: 400 }],
    ["Content-Length: 2^53 + 1", 1, [["Content-Length", "9007199254740993"]], { error: 400 }],
    ["Content-Length: 20 digits", 1, [["Content-Length", "99999999999999999999"]], { error: 400 }],
    // Transfer-Encoding in HTTP/1.0 means faulty framing [9112 §6.1]
    ["Transfer-Encoding in an HTTP/1.0 request", 0, [["Transfer-Encoding", "chunked"]], { error: 400 }],
  ] as [string, 0 | 1, [string, string][], Framing | { error: number }][])("%s", (_name, minor, pairs, expected) => {
    expect(outcome(requestFraming(request(minor, pairs)))).toEqual(expected);
  });

  // row 17: only a final, exact `chunked` is chunked; anything else with a body is 501 or 400
  test.each([
    ["gzip, chunked", [["Transfer-Encoding", "gzip, chunked"]]],
    ["chunked, gzip", [["Transfer-Encoding", "chunked, gzip"]]],
    ["xchunked", [["Transfer-Encoding", "xchunked"]]],
    ["chunkedx", [["Transfer-Encoding", "chunkedx"]]],
    ["chunked twice [9112 §7: at most once]", [["Transfer-Encoding", "chunked, chunked"]]],
    ["gzip then chunked on two lines", [["Transfer-Encoding", "gzip"], ["Transfer-Encoding", "chunked"]]],
    ["chunked then gzip on two lines", [["Transfer-Encoding", "chunked"], ["Transfer-Encoding", "gzip"]]],
    ["identity", [["Transfer-Encoding", "identity"]]],
    ["empty value", [["Transfer-Encoding", ""]]],
    ["chunked with a parameter", [["Transfer-Encoding", "chunked;q=1"]]],
    ["chunked with a tab inside", [["Transfer-Encoding", "chun\tked"]]],
  ] as [string, [string, string][]][])("Transfer-Encoding: %s -> 400 or 501", (_name, pairs) => {
    const got = requestFraming(request(1, pairs));
    expect(got).toBeInstanceOf(HttpError);
    expect([400, 501]).toContain((got as HttpError).status);
  });
});

describe("responseFraming [9112 §6.3]", () => {
  test.each([
    // row 20: no body whatever the headers say
    ["HEAD with Content-Length", "HEAD", 200, [["Content-Length", "5"]], { kind: "none" }],
    ["HEAD with chunked", "HEAD", 200, [["Transfer-Encoding", "chunked"]], { kind: "none" }],
    ["204 with Content-Length", "GET", 204, [["Content-Length", "5"]], { kind: "none" }],
    ["304 with Content-Length", "GET", 304, [["Content-Length", "5"]], { kind: "none" }],
    ["304 with chunked", "GET", 304, [["Transfer-Encoding", "chunked"]], { kind: "none" }],
    ["100 Continue", "POST", 100, [], { kind: "none" }],
    ["103 Early Hints", "GET", 103, [["Link", "</a>"]], { kind: "none" }],
    // lengths
    ["Content-Length: 5", "GET", 200, [["Content-Length", "5"]], { kind: "length", length: 5 }],
    ["Content-Length: 0", "GET", 200, [["Content-Length", "0"]], { kind: "none" }],
    ["Content-Length on a 404", "GET", 404, [["Content-Length", "9"]], { kind: "length", length: 9 }],
    ["repeated equal Content-Length", "GET", 200, [["Content-Length", "5"], ["content-length", "5"]], { kind: "length", length: 5 }],
    ["chunked", "GET", 200, [["Transfer-Encoding", "chunked"]], { kind: "chunked" }],
    ["gzip, chunked (chunked is final)", "GET", 200, [["Transfer-Encoding", "gzip, chunked"]], { kind: "chunked" }],
    // rule 4: chunked not final -> read until close; row 21: no length -> until close
    ["chunked, gzip", "GET", 200, [["Transfer-Encoding", "chunked, gzip"]], { kind: "close" }],
    ["gzip only", "GET", 200, [["Transfer-Encoding", "gzip"]], { kind: "close" }],
    ["neither length nor chunked", "GET", 200, [], { kind: "close" }],
    ["neither length nor chunked on a 500", "POST", 500, [["Content-Type", "text/plain"]], { kind: "close" }],
    // row 23
    ["Content-Length and chunked", "GET", 200, [["Content-Length", "5"], ["Transfer-Encoding", "chunked"]], { error: 502 }],
    ["Content-Length and gzip", "GET", 200, [["Transfer-Encoding", "gzip"], ["Content-Length", "5"]], { error: 502 }],
    ["Content-Length and an empty Transfer-Encoding", "GET", 200, [["Content-Length", "5"], ["Transfer-Encoding", ""]], { error: 502 }],
    ["conflicting Content-Length lines", "GET", 200, [["Content-Length", "5"], ["Content-Length", "6"]], { error: 502 }],
    ["Content-Length: 5, 6", "GET", 200, [["Content-Length", "5, 6"]], { error: 502 }],
    ["Content-Length: -1", "GET", 200, [["Content-Length", "-1"]], { error: 502 }],
    ["Content-Length: abc", "GET", 200, [["Content-Length", "abc"]], { error: 502 }],
  ] as [string, string, number, [string, string][], Framing | { error: number }][])(
    "%s",
    (_name, method, status, pairs, expected) => {
      const r = responseFraming(response(status, pairs), method);
      // The connection answers a refused response framing through upstreamFault, as a 502.
      expect(outcome(r instanceof HttpError ? upstreamFault(r, "head") : r)).toEqual(expected);
    },
  );
});

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

type ScanOutcome = { consumed: number; done: boolean } | { error: number };

/** Scans `raw` cut into pieces at `cuts`, stopping at done or the first error. */
function scanPieces(raw: string, cuts: number[]): ScanOutcome {
  const buf = bytes(raw);
  const s = new ChunkedScanner();
  const bounds = [0, ...cuts, buf.length];
  let consumed = 0;
  for (let i = 0; i + 1 < bounds.length && !s.done; i++) {
    const r = s.scan(buf, bounds[i]!, bounds[i + 1]!);
    if (r instanceof HttpError) return { error: r.status };
    consumed += r;
  }
  return { consumed, done: s.done };
}

const NEXT = "GET /next HTTP/1.1\r\n\r\n";

// [name, chunked body, its exact length in bytes]
const VALID: [string, string, number][] = [
  ["one chunk", "5\r\nhello\r\n0\r\n\r\n", 15],
  ["empty body", "0\r\n\r\n", 5],
  ["two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 26],
  ["hex sizes in both cases, leading zeros", "A\r\n0123456789\r\n00a\r\n0123456789\r\n000\r\n\r\n", 39],
  ["chunk extensions", '5;name=value\r\nhello\r\n6;a;b="q;x"\r\n world\r\n0;last\r\n\r\n', 52],
  ["whitespace before an extension (BWS)", "5 ;a=b\r\nhello\r\n0\t;c\r\n\r\n", 23],
  ["trailer fields", "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n", 39],
  ["data that looks like framing", "4\r\n\r\n\r\n\r\n0\r\n\r\n", 14],
  ["data with bare LF and NUL (data is opaque)", "3\r\n\n\0\r\r\n0\r\n\r\n", 13],
];

describe("ChunkedScanner on valid bodies [9112 §7.1]", () => {
  test.each(VALID)("%s: fed whole, bytes after the end untouched", (_name, body, length) => {
    expect(scanPieces(body + NEXT, [])).toEqual({ consumed: length, done: true });
  });

  test.each(VALID)("%s: one byte at a time", (_name, body, length) => {
    const raw = body + NEXT;
    expect(scanPieces(raw, Array.from({ length: raw.length - 1 }, (_, i) => i + 1))).toEqual({ consumed: length, done: true });
  });

  for (const [name, body, length] of VALID) {
    const raw = body + NEXT;
    test.each(Array.from({ length: raw.length + 1 }, (_, at) => at))(`${name}: split at %p`, (at) => {
      expect(scanPieces(raw, [at])).toEqual({ consumed: length, done: true });
    });
  }

  test("incomplete body: everything given is body, not done", () => {
    expect(scanPieces("5\r\nhel", [])).toEqual({ consumed: 6, done: false });
  });

  test("a scan after the end consumes nothing", () => {
    const buf = bytes("0\r\n\r\n" + NEXT);
    const s = new ChunkedScanner();
    expect(s.scan(buf, 0, buf.length)).toBe(5);
    expect(s.scan(buf, 5, buf.length)).toBe(0);
    expect(s.done).toBe(true);
  });

  test("counts are relative to `start`", () => {
    const buf = bytes("xxxx5\r\nhello\r\n0\r\n\r\nyy");
    const s = new ChunkedScanner();
    expect(s.scan(buf, 4, buf.length)).toBe(15);
    expect(s.done).toBe(true);
  });
});

// [name, bytes]: each must be an error wherever the input is split (row 18)
const INVALID: [string, string][] = [
  ["invalid hex digit", "g\r\nhello\r\n0\r\n\r\n"],
  ["hex digit then garbage", "5x\r\nhello\r\n0\r\n\r\n"],
  ["0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"],
  ["negative size", "-1\r\nx\r\n0\r\n\r\n"],
  ["empty size line", "\r\nhello\r\n0\r\n\r\n"],
  ["extension without a size", ";a\r\nhello\r\n0\r\n\r\n"],
  ["overflow fffffffffffffffff", "fffffffffffffffff\r\nhello\r\n0\r\n\r\n"],
  ["size then a word without ';' [9112 §7.1.1]", "5 x\r\nhello\r\n0\r\n\r\n"],
  ["control character in an extension", "5;a\x01b\r\nhello\r\n0\r\n\r\n"],
  ["missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n"],
  ["data longer than the size", "5\r\nhello!\r\n0\r\n\r\n"],
  ["next size right after data", "5\r\nhello0\r\n\r\n"],
  ["CR without LF after data", "5\r\nhello\r0\r\n\r\n"],
  ["CR CR LF after the size", "5\r\r\nhello\r\n0\r\n\r\n"],
  ["bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
  ["bare LF after an extension", "5;a=b\nhello\r\n0\r\n\r\n"],
  ["bare LF after data", "5\r\nhello\n0\r\n\r\n"],
  ["bare LF after the last chunk size", "0\n\r\n"],
  ["bare LF as the final line", "0\r\n\n"],
  ["bare LF as the final line after a trailer", "0\r\nX: y\r\n\n"],
  ["bare LF ending a trailer line", "0\r\nX: y\n\r\n"],
  ["CR without LF at the very end", "0\r\n\rX"],
  ["obs-fold in a trailer", "0\r\nX: a\r\n b\r\n\r\n"],
  ["NUL in a trailer value", "0\r\nX: a\0b\r\n\r\n"],
  ["control character starting a trailer line", "0\r\n\x01X: a\r\n\r\n"],
  ["NUL starting a trailer line", "0\r\n\0X: a\r\n\r\n"],
  ["trailer line without a colon [9112 §7.1.2]", "0\r\nX-Sum\r\n\r\n"],
  ["whitespace before a trailer colon", "0\r\nX-Sum : 1\r\n\r\n"],
];

describe("ChunkedScanner rejects invalid framing (row 18)", () => {
  test.each(INVALID)("%s: fed whole", (_name, raw) => {
    expect(scanPieces(raw + NEXT, [])).toEqual({ error: 400 });
  });

  test.each(INVALID)("%s: one byte at a time", (_name, raw) => {
    const all = raw + NEXT;
    expect(scanPieces(all, Array.from({ length: all.length - 1 }, (_, i) => i + 1))).toEqual({ error: 400 });
  });

  test.each(INVALID.flatMap(([name, raw]) => Array.from({ length: raw.length + 1 }, (_, at) => [name, at, raw] as const)))(
    "%s: split at %p",
    (_name, at, raw) => {
      expect(scanPieces(raw + NEXT, [at])).toEqual({ error: 400 });
    },
  );

  test("an upstream body's error becomes the proxy's 502 in one place (upstreamFault)", () => {
    const r = new ChunkedScanner().scan(bytes("zz\r\n"), 0, 4);
    expect(r).toBeInstanceOf(HttpError);
    expect(upstreamFault(r as HttpError, "body")).toEqual(new HttpError(502, "upstream sent an invalid response body: invalid chunked body: invalid chunk size"));
  });
});
