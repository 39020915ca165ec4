// Shared checks for the parser property tests: random split points, the reference verdict in the
// same shape as ours, and "never reads outside its input" by running the same bytes inside a larger
// buffer full of misleading neighbours.

import { expect } from "bun:test";
import { ChunkedScanner } from "../../src/http/body";
import { HttpError } from "../../src/http/errors";
import { findHeadEnd, type HeadLimits } from "../../src/http/head-parser";
import type { Rng } from "./prng";
import type { RefMessage, Verdict } from "./reference";

/** Ascending cut offsets inside [1, n): a few at random, or every offset (byte by byte) when short. */
export function randomCuts(rng: Rng, n: number): number[] {
  if (n > 1 && n < 400 && rng.chance(0.05)) return Array.from({ length: n - 1 }, (_, i) => i + 1);
  const cuts = Array.from({ length: rng.range(1, 4) }, () => rng.range(1, Math.max(1, n - 1)));
  return [...new Set(cuts)].sort((a, b) => a - b);
}

export function refSummary(v: Verdict<RefMessage>): unknown {
  if (v.kind !== "ok") return { kind: v.kind };
  return { kind: "ok", start: v.head.startLine, fields: v.head.fields, headEnd: v.head.headEnd, framing: v.framing, end: v.end };
}

function outcome(r: { start: number; end: number } | number | HttpError, shift: number): unknown {
  if (r instanceof HttpError) return { error: r.status };
  if (typeof r === "number") return { resume: r - shift };
  return { start: r.start - shift, end: r.end - shift };
}

// Bytes that would end a head or a chunked body early if a parser looked past its input.
const POISON = "\r\n\r\n0\r\n\r\n\n\n";

/** The same bytes at an offset inside a larger buffer: findHeadEnd and ChunkedScanner see only them. */
export function expectConfinedToInput(rng: Rng, bytes: Uint8Array, limits: HeadLimits, bodyFrom: number | null): void {
  const before = rng.range(1, 16);
  const big = new Uint8Array(before + bytes.length + POISON.length);
  big.set(Buffer.from(POISON.repeat(2).slice(0, before), "latin1"), 0);
  big.set(bytes, before);
  big.set(Buffer.from(POISON, "latin1"), before + bytes.length);
  const plain = findHeadEnd(bytes, 0, bytes.length, 0, limits);
  const inside = findHeadEnd(big, before, before + bytes.length, before, limits);
  expect(outcome(inside, before)).toEqual(outcome(plain, 0));
  if (bodyFrom === null) return;
  const a = new ChunkedScanner().scan(bytes, bodyFrom, bytes.length);
  const b = new ChunkedScanner().scan(big, before + bodyFrom, before + bytes.length);
  expect(b instanceof HttpError ? { error: b.reason } : { n: b }).toEqual(a instanceof HttpError ? { error: a.reason } : { n: a });
}
