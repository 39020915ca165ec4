// Incremental, bounded, strict HTTP/1.1 head parser for requests and responses.
//
// `findHeadEnd` is the incremental part: it scans only bytes it has not seen, answers "need more"
// with where to resume, and refuses bare LF so that `\n` and `\r\n` can never disagree about where a
// head ends (a classic smuggling vector). Once the end is known the head is decoded as latin1 (one
// char per byte, so re-serialising is byte exact) and parsed strictly in one pass.

import { HttpError } from "./errors";
import { isTchar } from "./token";

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
const COLON = 58;
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

export function decodeHead(buf: Uint8Array, span: HeadSpan): string {
  // Socket reads are Buffers already; wrapping a plain Uint8Array touches `.buffer`, which is slow
  // in JSC, so it is only done when needed. The final CRLFCRLF is dropped: lines joined by CRLF remain.
  const b = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.toString("latin1", span.start, span.end - 4);
}

function isToken(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    if (!isTchar(s.charCodeAt(i))) return false;
  }
  return true;
}

/** field-value: visible chars, obs-text, SP and HTAB; never NUL, CR, LF or other controls. */
function isFieldValue(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== HTAB) || c === 0x7f) return false;
  }
  return true;
}

/** One pass per line: the name is checked and its case noted, then the value scanned to its CRLF. */
function parseFields(text: string, from: number, limits: HeadLimits, fields: Fields): HttpError | null {
  const len = text.length;
  let pos = from;
  while (pos < len) {
    const first = text.charCodeAt(pos);
    if (first === SP || first === HTAB) return new HttpError(400, "obsolete line folding in header (continuation line)");
    let i = pos;
    let upper = false;
    let c = 0;
    for (; i < len; i++) {
      c = text.charCodeAt(i);
      if (c === COLON || !isTchar(c)) break;
      if (c >= 65 && c <= 90) upper = true;
    }
    if (c !== 58 || i === pos || i === len) {
      let eol = text.indexOf("\r\n", pos);
      if (eol === -1) eol = len;
      if (text.indexOf(":", pos) === -1 || text.indexOf(":", pos) > eol) {
        return new HttpError(400, `header line without a colon: "${clip(text, pos, eol)}"`);
      }
      return new HttpError(400, `invalid header name: "${clip(text, pos, text.indexOf(":", pos))}" (no spaces or controls before the colon)`);
    }
    const colon = i;
    let vs = colon + 1;
    while (vs < len && (text.charCodeAt(vs) === SP || text.charCodeAt(vs) === HTAB)) vs++;
    // Scan the value to the line end; a CR not followed by LF, and any other control, is invalid.
    let eol = vs;
    for (; eol < len; eol++) {
      c = text.charCodeAt(eol);
      if (c >= 0x20 && c !== 0x7f) continue;
      if (c === HTAB) continue;
      if (c === CR && text.charCodeAt(eol + 1) === LF) break;
      return new HttpError(400, `invalid character in value of header "${text.slice(pos, colon)}"`);
    }
    let ve = eol;
    while (ve > vs && (text.charCodeAt(ve - 1) === SP || text.charCodeAt(ve - 1) === HTAB)) ve--;
    if (fields.names.length >= limits.maxHeaders) {
      return new HttpError(431, `more than ${limits.maxHeaders} header fields`);
    }
    const name = text.slice(pos, colon);
    fields.names.push(name);
    fields.lower.push(upper ? name.toLowerCase() : name);
    fields.values.push(text.slice(vs, ve));
    pos = eol + 2;
  }
  return null;
}

function clip(s: string, from: number, to: number): string {
  const t = s.slice(from, Math.min(to, from + 40));
  return JSON.stringify(t).slice(1, -1);
}

/** "HTTP/1.1" -> 1, "HTTP/1.0" -> 0, another well-formed version -> 505, anything else -> 400. */
function parseVersion(s: string): 0 | 1 | HttpError {
  if (s === "HTTP/1.1") return 1;
  if (s === "HTTP/1.0") return 0;
  if (/^HTTP\/[0-9]\.[0-9]$/.test(s)) return new HttpError(505, `unsupported HTTP version ${s} (send HTTP/1.1)`);
  return new HttpError(400, `invalid HTTP version "${clip(s, 0, s.length)}" (expected HTTP/1.1)`);
}

export function parseRequestHead(text: string, limits: HeadLimits): RequestHead | HttpError {
  let eol = text.indexOf("\r\n");
  if (eol === -1) eol = text.length;
  const sp1 = text.indexOf(" ");
  const sp2 = sp1 === -1 ? -1 : text.indexOf(" ", sp1 + 1);
  if (sp1 === -1 || sp2 === -1 || sp2 > eol || text.indexOf(" ", sp2 + 1) !== -1 && text.indexOf(" ", sp2 + 1) < eol) {
    return new HttpError(400, `malformed request line "${clip(text, 0, eol)}" (expected "METHOD target HTTP/1.1")`);
  }
  if (!isToken(text, 0, sp1)) return new HttpError(400, `invalid method "${clip(text, 0, sp1)}"`);
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return new HttpError(400, "invalid character in request target");
  }
  if (sp2 === sp1 + 1) return new HttpError(400, "empty request target");
  const minor = parseVersion(text.slice(sp2 + 1, eol));
  if (minor instanceof HttpError) return minor;
  const head: RequestHead = {
    method: text.slice(0, sp1),
    target: text.slice(sp1 + 1, sp2),
    minor,
    names: [],
    lower: [],
    values: [],
  };
  const err = parseFields(text, eol + 2, limits, head);
  if (err !== null) return err;
  // Two Hosts would let the router and the upstream disagree about the target [RFC 9112 §3.2].
  if (head.lower.indexOf("host") !== head.lower.lastIndexOf("host")) return new HttpError(400, "more than one Host header");
  return head;
}

/** Errors are what a request would get; the caller answers the upstream's with 502 (upstreamFault). */
export function parseResponseHead(text: string, limits: HeadLimits): ResponseHead | HttpError {
  let eol = text.indexOf("\r\n");
  if (eol === -1) eol = text.length;
  // "HTTP/1.x DDD[ reason]", checked by hand: this runs once per response.
  const v = text.charCodeAt(7);
  const d0 = text.charCodeAt(9) - 48;
  const d1 = text.charCodeAt(10) - 48;
  const d2 = text.charCodeAt(11) - 48;
  const ok =
    eol >= 12 &&
    text.startsWith("HTTP/1.") &&
    (v === 48 || v === 49) &&
    text.charCodeAt(8) === SP &&
    d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 &&
    (eol === 12 || text.charCodeAt(12) === SP) &&
    isFieldValue(text, 0, eol);
  if (!ok) return new HttpError(400, `malformed status line "${clip(text, 0, eol)}"`);
  const head: ResponseHead = {
    status: d0 * 100 + d1 * 10 + d2,
    reason: eol > 13 ? text.slice(13, eol) : "",
    minor: v === 49 ? 1 : 0,
    names: [],
    lower: [],
    values: [],
  };
  const err = parseFields(text, eol + 2, limits, head);
  return err ?? head;
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

/** Comma-separated list members across all instances of a header, trimmed and lowercased. */
export function fieldTokens(f: Fields, lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < f.lower.length; i++) {
    if (f.lower[i] !== lowerName) continue;
    for (const part of f.values[i]!.split(",")) {
      const t = trimOws(part).toLowerCase();
      if (t !== "") out.push(t);
    }
  }
  return out;
}
