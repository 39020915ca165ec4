// The head types, and the incremental part of reading a head: `findHeadEnd` scans only bytes it has
// not seen, answers "need more" with where to resume, and refuses bare LF so that `\n` and `\r\n`
// can never disagree about where a head ends (a classic smuggling vector). The head it delimits is
// then read as byte ranges (head-scan.ts); the decisions read the few fields they need as `Fields`.

import { HttpError } from "./errors";

export interface HeadLimits {
  maxHeadBytes: number;
  maxHeaders: number;
}

/** Header fields as parallel arrays: names keep their case, `lower` is for lookups. */
export interface Fields {
  names: string[];
  lower: string[];
  values: string[];
}

export interface RequestHead extends Fields {
  method: string;
  target: string;
  /** HTTP/1.minor */
  minor: 0 | 1;
}

export interface ResponseHead extends Fields {
  status: number;
  reason: string;
  minor: 0 | 1;
}

/** The head spans [start, end) of the buffer, including the terminating empty line. */
export interface HeadSpan {
  start: number;
  end: number;
}

const LF = 10;
const CR = 13;
const SP = 32;
const HTAB = 9;
// Leading empty lines before a request line are tolerated [RFC 9112 §2.2], but only a few.
const MAX_LEADING_EMPTY_LINES = 4;

/**
 * Looks for the end of a head in buf[start, end), resuming the scan at `resume` (a line start
 * returned by an earlier call, or `start`). Returns the span, or a number: the resume point when more
 * bytes are needed, or an HttpError.
 */
export function findHeadEnd(
  buf: Uint8Array,
  start: number,
  end: number,
  resume: number,
  limits: HeadLimits,
): HeadSpan | number | HttpError {
  // Tolerated leading empty lines are re-skipped on every call (a handful of bytes at most) so the
  // resume point never has to carry that state.
  let headStart = start;
  let empties = 0;
  while (headStart + 1 < end && buf[headStart] === CR && buf[headStart + 1] === LF) {
    if (++empties > MAX_LEADING_EMPTY_LINES) return new HttpError(400, "too many empty lines before the request line");
    headStart += 2;
  }
  let lineStart = Math.max(resume, headStart);
  for (;;) {
    const lf = buf.indexOf(LF, lineStart);
    if (lf === -1 || lf >= end) {
      if (end - headStart > limits.maxHeadBytes) return tooLarge(limits);
      return lineStart;
    }
    if (lf === headStart || buf[lf - 1] !== CR) {
      return new HttpError(400, "bare LF in message head (lines must end with CRLF)");
    }
    if (lf - 1 === lineStart && lineStart !== headStart) {
      if (lf + 1 - headStart > limits.maxHeadBytes) return tooLarge(limits);
      return { start: headStart, end: lf + 1 };
    }
    lineStart = lf + 1;
  }
}

function tooLarge(limits: HeadLimits): HttpError {
  return new HttpError(431, `message head larger than ${limits.maxHeadBytes} bytes`);
}

/** All values of a header (by lowercase name), in order. */
export function fieldValues(f: Fields, lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < f.lower.length; i++) if (f.lower[i] === lowerName) out.push(f.values[i]!);
  return out;
}

/**
 * Strips optional whitespace (SP, HTAB) only [RFC 9110 §5.6.3]. String.trim() would also strip NBSP
 * (0xA0, legal obs-text), so `chunked\xa0` would read as `chunked` here and as something else upstream.
 */
export function trimOws(s: string): string {
  // By hand, not a regex replace: this runs on every list member of every framing header.
  let from = 0;
  let to = s.length;
  while (from < to && (s.charCodeAt(from) === SP || s.charCodeAt(from) === HTAB)) from++;
  while (to > from && (s.charCodeAt(to - 1) === SP || s.charCodeAt(to - 1) === HTAB)) to--;
  return from === 0 && to === s.length ? s : s.slice(from, to);
}

const NO_TOKENS: readonly string[] = Object.freeze([]);

/** Comma-separated list members across all instances of a header, trimmed and lowercased. */
export function fieldTokens(f: Fields, lowerName: string): readonly string[] {
  // Most heads lack the field asked for (Expect, a request's Connection): no array for them.
  if (!f.lower.includes(lowerName)) return NO_TOKENS;
  const out: string[] = [];
  for (let i = 0; i < f.lower.length; i++) {
    if (f.lower[i] !== lowerName) continue;
    const value = f.values[i]!;
    if (value.indexOf(",") === -1) {
      // One member (`keep-alive`, `close`, `chunked`): no split, and no new string when it is
      // already trimmed and lowercase.
      const t = trimOws(value).toLowerCase();
      if (t !== "") out.push(t);
      continue;
    }
    for (const part of value.split(",")) {
      const t = trimOws(part).toLowerCase();
      if (t !== "") out.push(t);
    }
  }
  return out;
}
