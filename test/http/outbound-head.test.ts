// The outbound head copied as byte ranges against the string serializer it replaced
// (test/oracle/string-head.ts): the same bytes for every head of the head-parser and rewrite
// tables and for seeded random heads full of the fields the proxy drops, under every rewrite
// option; then the lines the proxy adds and the fields it replaces.

import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors";
import { findHeadEnd, type HeadSpan } from "../../src/http/head-parser";
import { HeadScan, known } from "../../src/http/head-scan";
import { fieldLines, requestHeadBytes, responseHeadBytes } from "../../src/http/outbound-head";
import { fuzzIterations, withSeed, type Rng } from "../fuzz/prng";
import { LIMITS, randomRequests, randomResponses, tableHeads, type CorpusHead } from "../oracle/corpus";
import { fieldTokens } from "../../src/http/head-parser";
import { decodeHead, parseRequestHead, parseResponseHead, serializeRequestHead, serializeResponseHead } from "../oracle/string-head";

const FILE = "test/http/outbound-head.test.ts";
const N = fuzzIterations(6000);
const scan = new HeadScan();

function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

function spanOf(buf: Uint8Array, at: number): HeadSpan | null {
  const span = findHeadEnd(buf, at, buf.length, at, LIMITS);
  return span instanceof HttpError || typeof span === "number" ? null : span;
}

/** The head at an offset inside a larger buffer, so ranges are taken relative to the right place. */
function placed(raw: string, at: number): { buf: Uint8Array; span: HeadSpan } | null {
  const inner = bytes(raw);
  const buf = new Uint8Array(at + inner.length);
  buf.fill(0x41, 0, at);
  buf.set(inner, at);
  const span = spanOf(buf, at);
  return span === null ? null : { buf, span };
}

/** Both serializers' bytes for every rewrite option, with body bytes behind the new one's head. */
function compareRequest(h: CorpusHead, at: number, body: Uint8Array | null): number {
  const p = placed(h.raw, at);
  if (p === null) return 0;
  const head = parseRequestHead(decodeHead(p.buf, p.span), h.limits);
  const err = scan.scanRequest(p.buf, p.span, h.limits);
  if (head instanceof HttpError) return 0;
  expect(err).toBeNull();
  const connection = fieldTokens(head, "connection");
  for (const upgrade of [false, true]) {
    const want = Buffer.from(serializeRequestHead(head, { upgrade, connection }), "latin1");
    const got = requestHeadBytes(scan, { upgrade, connection }, body);
    expect(got.subarray(0, want.length).toString("latin1")).toBe(want.toString("latin1"));
    expect(got.subarray(want.length)).toEqual(Buffer.from(body ?? []));
  }
  return 1;
}

function compareResponse(h: CorpusHead, at: number, body: Uint8Array | null): number {
  const p = placed(h.raw, at);
  if (p === null) return 0;
  const head = parseResponseHead(decodeHead(p.buf, p.span), h.limits);
  const err = scan.scanResponse(p.buf, p.span, h.limits);
  if (head instanceof HttpError) return 0;
  expect(err).toBeNull();
  const connection = fieldTokens(head, "connection");
  for (const keepAlive of [false, true]) {
    for (const clientMinor of [0, 1] as const) {
      const want = Buffer.from(serializeResponseHead(head, { keepAlive, clientMinor, connection }), "latin1");
      const got = responseHeadBytes(scan, { keepAlive, clientMinor, connection }, body);
      expect(got.subarray(0, want.length).toString("latin1")).toBe(want.toString("latin1"));
      expect(got.subarray(want.length)).toEqual(Buffer.from(body ?? []));
    }
  }
  return 1;
}

function randomBody(rng: Rng): Uint8Array | null {
  if (rng.chance(0.5)) return null;
  return Uint8Array.from({ length: rng.int(40) }, () => rng.int(256));
}

function isResponse(raw: string): boolean {
  return raw.replace(/^(\r\n)+/, "").startsWith("HTTP/");
}

describe("outbound-head writes the bytes the string serializer writes", () => {
  test("every head of the head-parser and rewrite tables", () => {
    const heads = [...tableHeads("http/head-parser.test.ts"), ...tableHeads("http/rewrite.test.ts")];
    let compared = 0;
    for (const raw of heads) {
      const h = { raw, limits: LIMITS, label: "table" };
      for (const at of [0, 5]) {
        compared += isResponse(raw) ? compareResponse(h, at, null) : compareRequest(h, at, bytes("body"));
      }
    }
    expect(compared).toBeGreaterThan(60);
  });

  test("seeded random requests", () => {
    withSeed(FILE, (rng, note) => {
      let compared = 0;
      for (const h of randomRequests(rng, N)) {
        note(h.raw);
        compared += compareRequest(h, rng.chance(0.3) ? rng.range(1, 9) : 0, randomBody(rng));
      }
      expect(compared).toBeGreaterThan(N / 3);
    });
  });

  test("seeded random responses", () => {
    withSeed(FILE, (rng, note) => {
      let compared = 0;
      for (const h of randomResponses(rng, N)) {
        note(h.raw);
        compared += compareResponse(h, rng.chance(0.3) ? rng.range(1, 9) : 0, randomBody(rng));
      }
      expect(compared).toBeGreaterThan(N / 3);
    });
  });
});

function request(raw: string): HeadScan {
  const buf = bytes(raw);
  expect(scan.scanRequest(buf, spanOf(buf, 0)!, LIMITS)).toBeNull();
  return scan;
}

describe("lines the proxy adds and fields it replaces", () => {
  const head = "GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.9\r\nAccept: */*\r\nX-Cmux-Port-Internal: 3000\r\n\r\n";
  test.each([
    ["nothing added", {}, 1, "GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.9\r\nAccept: */*\r\n\r\n"],
    [
      "lines appended after the kept fields",
      { append: fieldLines(["X-Forwarded-Proto: http", "X-Forwarded-Port: 8080"]) },
      1,
      "GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.9\r\nAccept: */*\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 8080\r\n\r\n",
    ],
    [
      "a replaced field: dropped by id, its new line appended",
      { drop: 1 << known("x-forwarded-for"), append: fieldLines(["X-Forwarded-For: 127.0.0.1"]) },
      1,
      "GET /a HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n",
    ],
    [
      "appended lines come before the proxy's own Connection line",
      { append: fieldLines(["X-Forwarded-Proto: http"]) },
      0,
      "GET /a HTTP/1.0\r\nHost: x\r\nX-Forwarded-For: 10.0.0.9\r\nAccept: */*\r\nX-Forwarded-Proto: http\r\nConnection: close\r\n\r\n",
    ],
    [
      "Host replaced",
      { drop: 1 << known("host"), append: fieldLines(["Host: localhost:3000"]) },
      1,
      "GET /a HTTP/1.1\r\nX-Forwarded-For: 10.0.0.9\r\nAccept: */*\r\nHost: localhost:3000\r\n\r\n",
    ],
  ] as [string, { append?: Buffer; drop?: number }, 0 | 1, string][])("%s", (_name, extra, minor, expected) => {
    const s = request(minor === 1 ? head : head.replace("HTTP/1.1", "HTTP/1.0"));
    const got = requestHeadBytes(s, { upgrade: false, connection: [], ...extra }, bytes("xyz"));
    expect(got.toString("latin1")).toBe(expected + "xyz");
  });

  test("the response side takes the same additions", () => {
    const buf = bytes("HTTP/1.1 200 OK\r\nServer: a\r\nContent-Length: 2\r\n\r\n");
    expect(scan.scanResponse(buf, spanOf(buf, 0)!, LIMITS)).toBeNull();
    const got = responseHeadBytes(scan, { keepAlive: false, clientMinor: 1, connection: [], append: fieldLines(["X-Extra: 1"]), drop: 1 << known("content-length") }, null);
    expect(got.toString("latin1")).toBe("HTTP/1.1 200 OK\r\nServer: a\r\nX-Extra: 1\r\nConnection: close\r\n\r\n");
  });
});
