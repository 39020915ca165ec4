// The proxy's own parsers composed the way src/proxy/connection.ts composes them (find the head,
// scan it, decide the framing, validate a chunked body), as one verdict per message, whole or fed
// in pieces. The property tests compare these verdicts with each other and with the reference.

import { ChunkedScanner, requestFraming, responseFraming, type Framing } from "../../src/http/body";
import { HttpError } from "../../src/http/errors";
import { findHeadEnd, type HeadLimits, type HeadSpan, type RequestHead, type ResponseHead } from "../../src/http/head-parser";
import { scanRequestHead, scanResponseHead } from "../helpers/scanned-head";

export type OurVerdict<H> =
  | { kind: "need" }
  | { kind: "reject"; status: number; reason: string }
  | { kind: "ok"; head: H; headEnd: number; framing: Framing; end: number };

export function latin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

function rejected(e: HttpError): { kind: "reject"; status: number; reason: string } {
  return { kind: "reject", status: e.status, reason: e.reason };
}

type HeadParse<H> = (buf: Uint8Array, span: HeadSpan, limits: HeadLimits) => H | HttpError;
type FramingOf<H> = (head: H) => Framing | HttpError;

/**
 * Runs one message through the parsers, its bytes arriving in pieces that end at `cuts` (ascending
 * offsets; the whole input is the last piece). The head search resumes like the connection does;
 * the chunked scanner sees each piece once.
 */
function message<H>(bytes: Uint8Array, cuts: number[], limits: HeadLimits, parse: HeadParse<H>, framingOf: FramingOf<H>): OurVerdict<H> {
  const ends = [...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  let resume = 0;
  let span: HeadSpan | null = null;
  let piece = 0;
  for (; piece < ends.length; piece++) {
    const r = findHeadEnd(bytes, 0, ends[piece]!, resume, limits);
    if (r instanceof HttpError) return rejected(r);
    if (typeof r !== "number") {
      span = r;
      break;
    }
    resume = r;
  }
  if (span === null) return { kind: "need" };
  const head = parse(bytes, span, limits);
  if (head instanceof HttpError) return rejected(head);
  const framing = framingOf(head);
  if (framing instanceof HttpError) return rejected(framing);
  const headEnd = span.end;
  switch (framing.kind) {
    case "none":
      return { kind: "ok", head, headEnd, framing, end: headEnd };
    case "close":
      return { kind: "ok", head, headEnd, framing, end: bytes.length };
    case "length":
      if (bytes.length - headEnd < framing.length) return { kind: "need" };
      return { kind: "ok", head, headEnd, framing, end: headEnd + framing.length };
    case "chunked": {
      const scanner = new ChunkedScanner();
      let at = headEnd;
      for (; piece < ends.length && !scanner.done; piece++) {
        const to = Math.max(at, ends[piece]!);
        const n = scanner.scan(bytes, at, to);
        if (n instanceof HttpError) return rejected(n);
        if (n < 0 || n > to - at) throw new Error(`ChunkedScanner consumed ${n} of ${to - at} bytes`);
        at += n;
      }
      if (!scanner.done) return { kind: "need" };
      return { kind: "ok", head, headEnd, framing, end: at };
    }
  }
}

export function ourRequest(bytes: Uint8Array, limits: HeadLimits, cuts: number[] = []): OurVerdict<RequestHead> {
  return message(bytes, cuts, limits, scanRequestHead, requestFraming);
}

export function ourResponse(bytes: Uint8Array, limits: HeadLimits, toHead: boolean, cuts: number[] = []): OurVerdict<ResponseHead> {
  const v = message(bytes, cuts, limits, scanResponseHead, (h) => responseFraming(h, toHead ? "HEAD" : "GET"));
  // The connection answers every refused response with 502 (errors.ts upstreamFault).
  return v.kind === "reject" ? { ...v, status: 502 } : v;
}

/** A comparable summary of a verdict: kind, and for "ok" the head fields and both offsets. */
export function summary(v: OurVerdict<RequestHead | ResponseHead>): unknown {
  if (v.kind !== "ok") return { kind: v.kind };
  const h = v.head;
  const start = "method" in h ? [h.method, h.target, `HTTP/1.${h.minor}`] : [`HTTP/1.${h.minor}`, String(h.status).padStart(3, "0"), h.reason];
  return { kind: "ok", start, fields: h.names.map((n, i) => [n, h.values[i]]), headEnd: v.headEnd, framing: v.framing, end: v.end };
}
