// A request or response head read as byte ranges: one pass over the bytes `findHeadEnd` delimited
// records where the start line's parts and every field's name and value begin and end, in typed
// arrays reused from head to head. No string is made per header: names are matched as bytes,
// case-insensitively, against the few the proxy acts on (`KNOWN`), and a value becomes a string
// only when asked for. The outbound head is then copied range by range (outbound-head.ts).
//
// The strictness is exactly that of the string parser this replaced, kept in test/oracle/ as the
// oracle: the same heads are accepted, the same are refused, with the same status and reason
// (test/http/head-scan.test.ts runs both over the parser tables and the fuzz corpus).

import { HttpError } from "./errors";
import type { HeadLimits, HeadSpan, RequestHead, ResponseHead } from "./head-parser";
import { isTchar } from "./token";

const TAB = 9;
const LF = 10;
const CR = 13;
const SP = 32;
const COLON = 58;

/**
 * The fields the proxy reads or drops, by id (an index into this list plus one; 0 is any other
 * name). Lowercase, letters and `-` only: `(byte | 0x20) === known byte` then matches exactly.
 */
export const KNOWN = [
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "upgrade",
  "expect",
  "keep-alive",
  "te",
  "trailer",
  "proxy-connection",
  "x-cmux-port-internal",
  "x-cmux-workspace-internal",
  "accept",
  "cookie",
  "proxy-authorization",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-cmux-token",
  "x-cmux-host-override",
] as const;

export type KnownName = (typeof KNOWN)[number];

export const OTHER = 0;
/** Any other `X-Cmux-*-Internal` field: the proxy's own, dropped like the routing headers. */
export const CMUX_INTERNAL = KNOWN.length + 1;
/** An `X-Cmux-*` name that is not internal (forwarded as any other field). */
export const CMUX_OTHER = KNOWN.length + 2;
/**
 * `X_Forwarded_For` and the like (an `_` for any `-`): CGI and WSGI apps read them as the same
 * variable as the real field, so they go wherever the proxy replaces the real one (`withAliases`).
 * Ids FORWARDED_ALIAS + 0..3, in the order of ALIASED.
 */
export const FORWARDED_ALIAS = KNOWN.length + 3;
const ALIASED = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"] as const;
// `HeadScan.seen` keeps one bit per id in a 32-bit integer.
if (FORWARDED_ALIAS + ALIASED.length - 1 > 31) throw new Error("head-scan: more known names than bits in HeadScan.seen");

/** The id of a known name. */
export function known(name: KnownName): number {
  return KNOWN.indexOf(name) + 1;
}

/** A set of ids as the bits of one number (for `requestHead` and `seen`). */
export function idSet(names: readonly KnownName[]): number {
  let bits = 0;
  for (const n of names) bits |= 1 << known(n);
  return bits;
}

/** Drop bits with the underscore spellings of the forwarded fields among them added. */
export function withAliases(drop: number): number {
  for (let k = 0; k < ALIASED.length; k++) if ((drop >>> known(ALIASED[k]!)) & 1) drop |= 1 << (FORWARDED_ALIAS + k);
  return drop;
}

/**
 * What a request is decided by: routing, framing, keep-alive and upgrade, Expect, the forwarded
 * fields and the Host override, and Accept (which error page). A field that is absent costs nothing.
 */
export const REQUEST_FIELDS = idSet([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "upgrade",
  "expect",
  "accept",
  "x-cmux-port-internal",
  "x-cmux-workspace-internal",
  "x-cmux-host-override",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
]);
/** The credentials the token check reads (only when --auth-token is set). */
export const CREDENTIAL_FIELDS = idSet(["cookie", "proxy-authorization", "x-cmux-token"]);
/** What framing and the keep-alive and upgrade decisions read from a response. */
export const RESPONSE_FIELDS = idSet(["connection", "content-length", "transfer-encoding", "upgrade"]);

/** Candidates by name length: their bytes, and their ids at the same index. */
const BY_LENGTH: Uint8Array[][] = [];
const IDS_BY_LENGTH: number[][] = [];
/** Bit set for a lowercase first byte some known name (or `x-cmux-`, or an alias) starts with. */
const FIRST_BYTE = new Uint8Array(128);
for (let i = 0; i < KNOWN.length; i++) {
  const bytes = Buffer.from(KNOWN[i]!, "latin1");
  (BY_LENGTH[bytes.length] ??= []).push(bytes);
  (IDS_BY_LENGTH[bytes.length] ??= []).push(i + 1);
  FIRST_BYTE[bytes[0]!] = 1;
}
const CMUX_PREFIX = Buffer.from("x-cmux-", "latin1");
const INTERNAL_SUFFIX = Buffer.from("-internal", "latin1");
const ALIASED_BYTES = ALIASED.map((n) => Buffer.from(n, "latin1"));
const UNDERSCORE = 95;

function sameName(buf: Uint8Array, at: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if ((buf[at + k]! | 0x20) !== lower[k]) return false;
  return true;
}

/** Like sameName, with `_` read as `-` (the bytes were checked to be tchars). */
function sameNameLoose(buf: Uint8Array, at: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) {
    const c = buf[at + k]!;
    if ((c === UNDERSCORE ? 45 : c | 0x20) !== lower[k]) return false;
  }
  return true;
}

/** The id of the name buf[from, to) (already checked to be a token). */
function classify(buf: Uint8Array, from: number, to: number): number {
  // Most of a browser's fields (Sec-Fetch-*, Referer, If-None-Match, ...) are told apart by their first byte.
  const first = buf[from]! | 0x20;
  if (first > 127 || FIRST_BYTE[first] === 0) return OTHER;
  const n = to - from;
  const candidates = BY_LENGTH[n];
  if (candidates !== undefined) {
    for (let c = 0; c < candidates.length; c++) if (sameName(buf, from, candidates[c]!)) return IDS_BY_LENGTH[n]![c]!;
  }
  if (n >= CMUX_PREFIX.length && sameName(buf, from, CMUX_PREFIX)) {
    if (n >= INTERNAL_SUFFIX.length && sameName(buf, to - INTERNAL_SUFFIX.length, INTERNAL_SUFFIX)) return CMUX_INTERNAL;
    return CMUX_OTHER;
  }
  // Not the field itself (that matched above), so a loose match has an `_` where it has a `-`.
  if (n >= 15 && n <= 17) {
    for (let k = 0; k < ALIASED_BYTES.length; k++) {
      const a = ALIASED_BYTES[k]!;
      if (a.length === n && sameNameLoose(buf, from, a)) return FORWARDED_ALIAS + k;
    }
  }
  return OTHER;
}

// Methods a request usually has, as constant strings: the method is needed as a string (framing of
// the response, CONNECT) and these need no allocation.
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"].map((m) => Buffer.from(m, "latin1"));
const METHOD_NAMES = METHODS.map((b) => b.toString("latin1"));

const INITIAL_CAPACITY = 32;


/**
 * The head as routing and the decisions must read it when an absolute-form target names the Host
 * [RFC 9112 §3.2.2]: the Host field's value replaced, or a Host added. (The outbound head gets the
 * same Host from outbound-head.ts's `host` option.)
 */
export function overrideHost(head: RequestHead, host: string): void {
  const k = head.lower.indexOf("host");
  if (k !== -1) {
    head.values[k] = host;
    return;
  }
  // `names` and `lower` are one array in a scanned head (known names are lowercase constants).
  head.lower.push("host");
  if (head.names !== head.lower) head.names.push("host");
  head.values.push(host);
}

/** Bun's Buffer has Node's latin1Slice: toString("latin1", ...) without the argument parsing. */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

function latin1(buf: Buffer, from: number, to: number): string {
  return (buf as Latin1Buffer).latin1Slice(from, to);
}

/** Whether `s` is buf[from, to) read as latin1. */
function spells(s: string, buf: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) !== buf[from + k]) return false;
  return true;
}

/** JSON-escaped, at most 40 chars: the part of an offending line an error quotes. */
function clip(buf: Buffer, from: number, to: number): string {
  const t = latin1(buf, from, Math.min(to, from + 40));
  return JSON.stringify(t).slice(1, -1);
}

/**
 * One head's ranges, as offsets into `buf`. A scan is valid until the next `scanRequest` or
 * `scanResponse` on the same object; whatever must outlive it is copied out (the method, a value).
 */
export class HeadScan {
  buf: Buffer = Buffer.alloc(0);
  /** The head's first byte (after tolerated empty lines) and the offset past its empty line. */
  start = 0;
  end = 0;
  /** The CR ending the start line (or the end of the head's text when it has no fields). */
  startLineEnd = 0;
  minor: 0 | 1 = 1;
  // request line
  methodEnd = 0;
  targetStart = 0;
  targetEnd = 0;
  // status line
  status = 0;
  reasonStart = 0;
  reasonEnd = 0;

  count = 0;
  /** Bit `id` set when a field with that id is present (ids are below 32). */
  seen = 0;
  nameStart = new Int32Array(INITIAL_CAPACITY);
  nameEnd = new Int32Array(INITIAL_CAPACITY);
  valueStart = new Int32Array(INITIAL_CAPACITY);
  valueEnd = new Int32Array(INITIAL_CAPACITY);
  /** Past the field line's CRLF. */
  lineEnd = new Int32Array(INITIAL_CAPACITY);
  id = new Uint8Array(INITIAL_CAPACITY);
  /**
   * The last string decoded per known id, and the last target and reason: a keep-alive client sends
   * the same Host, routing header, Accept and Connection request after request, and comparing the
   * bytes with the last string is cheaper than making a new one.
   */
  private readonly lastValue: string[] = new Array<string>(CMUX_INTERNAL).fill("");
  private lastTarget = "";
  private readonly response: ResponseHead = (() => {
    const names: string[] = [];
    return { status: 0, reason: "", minor: 1, names, lower: names, values: [] };
  })();
  private lastReason = "";

  has(id: number): boolean {
    return ((this.seen >>> id) & 1) === 1;
  }

  /** The first field with this id at or after `from`, or -1. */
  indexOf(id: number, from = 0): number {
    for (let i = from; i < this.count; i++) if (this.id[i] === id) return i;
    return -1;
  }

  name(i: number): string {
    return latin1(this.buf, this.nameStart[i]!, this.nameEnd[i]!);
  }

  value(i: number): string {
    return latin1(this.buf, this.valueStart[i]!, this.valueEnd[i]!);
  }

  method(): string {
    const from = this.start;
    const n = this.methodEnd - from;
    for (let m = 0; m < METHODS.length; m++) {
      const bytes = METHODS[m]!;
      if (bytes.length !== n) continue;
      let k = 0;
      while (k < n && this.buf[from + k] === bytes[k]) k++;
      if (k === n) return METHOD_NAMES[m]!;
    }
    return latin1(this.buf, from, this.methodEnd);
  }

  target(): string {
    if (spells(this.lastTarget, this.buf, this.targetStart, this.targetEnd)) return this.lastTarget;
    return (this.lastTarget = latin1(this.buf, this.targetStart, this.targetEnd));
  }

  reason(): string {
    if (spells(this.lastReason, this.buf, this.reasonStart, this.reasonEnd)) return this.lastReason;
    return (this.lastReason = latin1(this.buf, this.reasonStart, this.reasonEnd));
  }

  /** The value of field i, a known field's (id) as the last string decoded for that id when the bytes are the same. */
  private knownValue(i: number, id: number): string {
    const from = this.valueStart[i]!;
    const to = this.valueEnd[i]!;
    const last = this.lastValue[id]!;
    if (spells(last, this.buf, from, to)) return last;
    return (this.lastValue[id] = latin1(this.buf, from, to));
  }

  /**
   * The request as a `RequestHead` of the fields whose id has its bit set in `ids`: their lowercase
   * names (constant strings) and decoded values, in order; no other field is decoded.
   */
  requestHead(ids = REQUEST_FIELDS): RequestHead {
    const names: string[] = [];
    const values: string[] = [];
    this.collect(ids, names, values);
    return { method: this.method(), target: this.target(), minor: this.minor, names, lower: names, values };
  }

  /** The scan's index of field k of a head read with `ids` (`requestHead`), or -1. */
  fieldIndex(ids: number, k: number): number {
    for (let i = 0; i < this.count; i++) {
      const id = this.id[i]!;
      if (((ids >>> id) & 1) === 0 || id === OTHER || id > KNOWN.length) continue;
      if (k-- === 0) return i;
    }
    return -1;
  }

  /**
   * The response as a `ResponseHead` of the fields in `ids` (as `requestHead`): one object reused
   * from response to response, valid until the next call. (A response's decisions are all made in
   * the step that scans it; a request head, kept for its exchange, is a new one each time.)
   */
  responseHead(ids = RESPONSE_FIELDS): ResponseHead {
    const r = this.response;
    r.names.length = 0;
    r.values.length = 0;
    this.collect(ids, r.names, r.values);
    r.status = this.status;
    r.reason = this.reason();
    r.minor = this.minor;
    return r;
  }

  private collect(ids: number, names: string[], values: string[]): void {
    for (let i = 0; i < this.count; i++) {
      const id = this.id[i]!;
      if (((ids >>> id) & 1) === 0 || id === OTHER || id > KNOWN.length) continue;
      names.push(KNOWN[id - 1]!);
      values.push(this.knownValue(i, id));
    }
  }

  /** Scans the request head `span` of `buf`; null when it is well formed, else the error to answer. */
  scanRequest(buf: Uint8Array, span: HeadSpan, limits: HeadLimits): HttpError | null {
    const b = this.reset(buf, span);
    const from = span.start;
    const textEnd = span.end - 4;
    const eol = lineEnd(b, from, textEnd);
    this.startLineEnd = eol;
    // Exactly two spaces in the request line: "METHOD SP target SP version".
    let sp1 = -1;
    let sp2 = -1;
    let spaces = 0;
    for (let i = from; i < eol; i++) {
      if (b[i] !== SP) continue;
      if (++spaces === 1) sp1 = i;
      else if (spaces === 2) sp2 = i;
    }
    if (spaces !== 2) {
      return new HttpError(400, `malformed request line "${clip(b, from, eol)}" (expected "METHOD target HTTP/1.1")`);
    }
    if (!isToken(b, from, sp1)) return new HttpError(400, `invalid method "${clip(b, from, sp1)}"`);
    for (let i = sp1 + 1; i < sp2; i++) {
      const c = b[i]!;
      if (c <= 0x20 || c === 0x7f) return new HttpError(400, "invalid character in request target");
    }
    if (sp2 === sp1 + 1) return new HttpError(400, "empty request target");
    const minor = version(b, sp2 + 1, eol);
    if (minor instanceof HttpError) return minor;
    this.minor = minor;
    this.methodEnd = sp1;
    this.targetStart = sp1 + 1;
    this.targetEnd = sp2;
    const err = this.scanFields(eol + 2, textEnd, limits);
    if (err !== null) return err;
    // Two Hosts would let the router and the upstream disagree about the target [RFC 9112 §3.2].
    const host = known("host");
    if (this.has(host) && this.indexOf(host, this.indexOf(host) + 1) !== -1) return new HttpError(400, "more than one Host header");
    return null;
  }

  /** Scans the response head `span` of `buf`; null when it is well formed, else the error as a
   * request would get it (the caller answers the upstream's with 502: errors.ts upstreamFault). */
  scanResponse(buf: Uint8Array, span: HeadSpan, limits: HeadLimits): HttpError | null {
    const b = this.reset(buf, span);
    const s = span.start;
    const textEnd = span.end - 4;
    const eol = lineEnd(b, s, textEnd);
    this.startLineEnd = eol;
    // "HTTP/1.x DDD[ reason]"
    const n = eol - s;
    const v = b[s + 7]!;
    const d0 = b[s + 9]! - 48;
    const d1 = b[s + 10]! - 48;
    const d2 = b[s + 11]! - 48;
    const ok =
      n >= 12 &&
      startsWithHttp1(b, s) &&
      (v === 48 || v === 49) &&
      b[s + 8] === SP &&
      d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 &&
      (n === 12 || b[s + 12] === SP) &&
      isFieldValue(b, s, eol);
    if (!ok) return new HttpError(400, `malformed status line "${clip(b, s, eol)}"`);
    this.status = d0 * 100 + d1 * 10 + d2;
    this.minor = v === 49 ? 1 : 0;
    this.reasonStart = n > 13 ? s + 13 : eol;
    this.reasonEnd = eol;
    return this.scanFields(eol + 2, textEnd, limits);
  }

  private reset(buf: Uint8Array, span: HeadSpan): Buffer {
    // Socket reads are Buffers already; wrapping a plain Uint8Array touches `.buffer`, which is slow
    // in JSC, so it is only done when needed.
    const b = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.buf = b;
    this.start = span.start;
    this.end = span.end;
    this.count = 0;
    this.seen = 0;
    return b;
  }

  /** Field lines in [from, textEnd): the text of the head without its final CRLFCRLF. */
  private scanFields(from: number, textEnd: number, limits: HeadLimits): HttpError | null {
    const b = this.buf;
    let pos = from;
    while (pos < textEnd) {
      const first = b[pos]!;
      if (first === SP || first === TAB) return new HttpError(400, "obsolete line folding in header (continuation line)");
      let i = pos;
      let c = 0;
      for (; i < textEnd; i++) {
        c = b[i]!;
        if (c === COLON || !isTchar(c)) break;
      }
      if (c !== COLON || i === pos || i === textEnd) return nameError(b, pos, textEnd);
      const colon = i;
      let vs = colon + 1;
      while (vs < textEnd && (b[vs] === SP || b[vs] === TAB)) vs++;
      // Scan the value to the line end; a CR not followed by LF, and any other control, is invalid.
      let eol = vs;
      for (; eol < textEnd; eol++) {
        c = b[eol]!;
        if (c >= 0x20 && c !== 0x7f) continue;
        if (c === TAB) continue;
        if (c === CR && eol + 1 < textEnd && b[eol + 1] === LF) break;
        return new HttpError(400, `invalid character in value of header "${latin1(b, pos, colon)}"`);
      }
      let ve = eol;
      while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === TAB)) ve--;
      const k = this.count;
      if (k >= limits.maxHeaders) return new HttpError(431, `more than ${limits.maxHeaders} header fields`);
      if (k === this.id.length) this.grow();
      const id = classify(b, pos, colon);
      this.nameStart[k] = pos;
      this.nameEnd[k] = colon;
      this.valueStart[k] = vs;
      this.valueEnd[k] = ve;
      this.lineEnd[k] = eol + 2;
      this.id[k] = id;
      this.seen |= 1 << id;
      this.count = k + 1;
      pos = eol + 2;
    }
    return null;
  }

  private grow(): void {
    const n = this.id.length * 2;
    const wider = (a: Int32Array) => {
      const w = new Int32Array(n);
      w.set(a);
      return w;
    };
    this.nameStart = wider(this.nameStart);
    this.nameEnd = wider(this.nameEnd);
    this.valueStart = wider(this.valueStart);
    this.valueEnd = wider(this.valueEnd);
    this.lineEnd = wider(this.lineEnd);
    const id = new Uint8Array(n);
    id.set(this.id);
    this.id = id;
  }
}

/** The first CR of a CRLF in [from, to), or `to`. */
function lineEnd(b: Uint8Array, from: number, to: number): number {
  let lf = b.indexOf(LF, from + 1);
  while (lf !== -1 && lf < to) {
    if (b[lf - 1] === CR) return lf - 1;
    lf = b.indexOf(LF, lf + 1);
  }
  return to;
}

function nameError(b: Buffer, pos: number, textEnd: number): HttpError {
  const eol = lineEnd(b, pos, textEnd);
  const colon = b.indexOf(COLON, pos);
  if (colon === -1 || colon >= textEnd || colon > eol) {
    return new HttpError(400, `header line without a colon: "${clip(b, pos, eol)}"`);
  }
  return new HttpError(400, `invalid header name: "${clip(b, pos, colon)}" (no spaces or controls before the colon)`);
}

function isToken(b: Uint8Array, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (!isTchar(b[i]!)) return false;
  return true;
}

/** field-value: visible chars, obs-text, SP and HTAB; never NUL, CR, LF or other controls. */
function isFieldValue(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== TAB) || c === 0x7f) return false;
  }
  return true;
}

const HTTP1 = Buffer.from("HTTP/1.", "latin1");

function startsWithHttp1(b: Uint8Array, at: number): boolean {
  for (let k = 0; k < HTTP1.length; k++) if (b[at + k] !== HTTP1[k]) return false;
  return true;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** "HTTP/1.1" -> 1, "HTTP/1.0" -> 0, another well-formed version -> 505, anything else -> 400. */
function version(b: Buffer, from: number, to: number): 0 | 1 | HttpError {
  const wellFormed = to - from === 8 && b[from] === 72 && b[from + 1] === 84 && b[from + 2] === 84 && b[from + 3] === 80 &&
    b[from + 4] === 47 && isDigit(b[from + 5]) && b[from + 6] === 46 && isDigit(b[from + 7]);
  if (wellFormed && b[from + 5] === 49) {
    if (b[from + 7] === 49) return 1;
    if (b[from + 7] === 48) return 0;
  }
  const text = latin1(b, from, to);
  if (wellFormed) return new HttpError(505, `unsupported HTTP version ${text} (send HTTP/1.1)`);
  return new HttpError(400, `invalid HTTP version "${clip(b, from, to)}" (expected HTTP/1.1)`);
}
