// Message framing [RFC 9112 §6]: how long a body is, decided once per message from its head, and a
// streaming validator for chunked bodies. Bodies are forwarded verbatim; chunked framing is checked
// byte by byte as it passes so a malformed body can never desynchronise the two connections.

import { HttpError } from "./errors";
import { fieldTokens, fieldValues, trimOws, type RequestHead, type ResponseHead } from "./head-parser";
import { decimal, isTchar } from "./token";

export type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  /** Response only: the body ends when the upstream closes. */
  | { kind: "close" };

const NONE: Framing = { kind: "none" };
const CHUNKED: Framing = { kind: "chunked" };
const CLOSE: Framing = { kind: "close" };

/** Content-Length: every instance and every list member must be the same run of digits. */
function contentLength(values: string[]): number | HttpError {
  // The usual case, one plain run of digits (15 are always a safe integer), without splitting.
  if (values.length === 1) {
    const n = decimal(values[0]!, 15);
    if (n !== -1) return n;
  }
  let length = -1;
  for (const value of values) {
    for (const part of value.split(",")) {
      const t = trimOws(part);
      if (!/^[0-9]{1,16}$/.test(t) || Number(t) > Number.MAX_SAFE_INTEGER) {
        return new HttpError(400, `invalid Content-Length "${value}" (expected one non-negative integer)`);
      }
      const n = Number(t);
      if (length !== -1 && n !== length) {
        return new HttpError(400, `conflicting Content-Length values "${values.join(", ")}"`);
      }
      length = n;
    }
  }
  return length;
}

/**
 * `chunked,` is legal list syntax, but llhttp refuses it in requests and reads responses carrying it
 * to the close, and a lenient parser may read it differently again: two readings of where the body
 * ends, so it is refused rather than forwarded.
 */
function hasEmptyMember(values: string[]): boolean {
  return values.some((v) => v.split(",").some((m) => trimOws(m) === ""));
}

export function requestFraming(head: RequestHead): Framing | HttpError {
  // Most requests carry neither header: answer without building the value lists.
  if (!head.lower.includes("content-length") && !head.lower.includes("transfer-encoding")) return NONE;
  const cl = fieldValues(head, "content-length");
  if (head.lower.includes("transfer-encoding")) {
    const te = fieldTokens(head, "transfer-encoding");
    if (cl.length > 0) return new HttpError(400, "both Content-Length and Transfer-Encoding (send only one)");
    if (head.minor === 0) return new HttpError(400, "Transfer-Encoding in an HTTP/1.0 request");
    const teValues = fieldValues(head, "transfer-encoding");
    if (hasEmptyMember(teValues)) {
      return new HttpError(400, `invalid Transfer-Encoding "${teValues.join(", ")}" (empty list member; send plain "chunked")`);
    }
    if (te.length === 1 && te[0] === "chunked") return CHUNKED;
    if (te[te.length - 1] === "chunked") {
      return new HttpError(501, `unsupported Transfer-Encoding "${te.join(", ")}" (send plain "chunked")`);
    }
    return new HttpError(400, `invalid Transfer-Encoding "${te.join(", ")}" (the final coding must be chunked)`);
  }
  if (cl.length === 0) return NONE;
  const length = contentLength(cl);
  if (length instanceof HttpError) return length;
  return length === 0 ? NONE : { kind: "length", length };
}

/** RFC 9112 §6.3, for the response to a request with method `method`. Errors are the upstream's
 * fault; the caller turns them into its 502 (errors.ts upstreamFault). */
export function responseFraming(head: ResponseHead, method: string): Framing | HttpError {
  const s = head.status;
  if (method === "HEAD" || (s >= 100 && s < 200) || s === 204 || s === 304) return NONE;
  const cl = fieldValues(head, "content-length");
  if (head.lower.includes("transfer-encoding")) {
    const te = fieldTokens(head, "transfer-encoding");
    if (cl.length > 0) return new HttpError(400, "both Content-Length and Transfer-Encoding");
    if (hasEmptyMember(fieldValues(head, "transfer-encoding"))) return new HttpError(400, "an empty member in Transfer-Encoding");
    return te[te.length - 1] === "chunked" ? CHUNKED : CLOSE;
  }
  if (cl.length === 0) return CLOSE;
  const length = contentLength(cl);
  if (length instanceof HttpError) return length;
  return length === 0 ? NONE : { kind: "length", length };
}

const enum St {
  Size,
  SizeLf,
  /** Whitespace after the size is the BWS before an extension's `;` [RFC 9112 §7.1.1]: `;` must follow. */
  ExtBws,
  Ext,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerName,
  TrailerLine,
  TrailerLf,
  FinalLf,
  Done,
}

const MAX_SIZE_LINE = 4096;
const MAX_TRAILER_BYTES = 64 * 1024;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Validates a chunked body as it streams past. `scan` returns how many of the given bytes belong to
 * the body (all of them until the end is reached) or an error; `done` says the last byte was seen.
 */
export class ChunkedScanner {
  private st = St.Size;
  private remaining = 0;
  private sizeDigits = 0;
  private lineBytes = 0;
  private trailerBytes = 0;

  get done(): boolean {
    return this.st === St.Done;
  }

  scan(buf: Uint8Array, start: number, end: number): number | HttpError {
    let i = start;
    while (i < end) {
      switch (this.st) {
        case St.Data: {
          const take = Math.min(this.remaining, end - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.st = St.DataCr;
          continue;
        }
        case St.Size: {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v !== -1) {
            // 13 hex digits stay below 2^53; more is an overflow attempt, not a real chunk.
            if (++this.sizeDigits > 13) return this.fail("chunk size too large");
            this.remaining = this.remaining * 16 + v;
          } else if (this.sizeDigits === 0) {
            return this.fail("invalid chunk size");
          } else if (c === 13) {
            this.st = St.SizeLf;
          } else if (c === 59) {
            this.st = St.Ext;
          } else if (c === 32 || c === 9) {
            this.st = St.ExtBws;
          } else {
            return this.fail("invalid chunk size");
          }
          break;
        }
        case St.ExtBws: {
          const c = buf[i]!;
          if (c === 59) this.st = St.Ext;
          else if (c !== 32 && c !== 9) return this.fail("invalid chunk size");
          else if (++this.lineBytes > MAX_SIZE_LINE) return this.fail("chunk extension too long");
          break;
        }
        case St.Ext: {
          const c = buf[i]!;
          if (c === 13) this.st = St.SizeLf;
          else if ((c < 32 && c !== 9) || c === 127) return this.fail("invalid character in chunk extension");
          else if (++this.lineBytes > MAX_SIZE_LINE) return this.fail("chunk extension too long");
          break;
        }
        case St.SizeLf: {
          if (buf[i] !== 10) return this.fail("chunk size line not ended by CRLF");
          this.sizeDigits = 0;
          this.lineBytes = 0;
          this.st = this.remaining === 0 ? St.TrailerLineStart : St.Data;
          break;
        }
        case St.DataCr:
          if (buf[i] !== 13) return this.fail("chunk data not followed by CRLF");
          this.st = St.DataLf;
          break;
        case St.DataLf:
          if (buf[i] !== 10) return this.fail("chunk data not followed by CRLF");
          this.st = St.Size;
          break;
        case St.TrailerLineStart: {
          const c = buf[i]!;
          if (c === 13) this.st = St.FinalLf;
          else if (isTchar(c)) this.st = St.TrailerName;
          else return this.fail("invalid trailer field (expected name: value)");
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail("trailer section too large");
          break;
        }
        case St.TrailerName: {
          const c = buf[i]!;
          if (c === 58) this.st = St.TrailerLine;
          else if (!isTchar(c)) return this.fail("invalid trailer field name");
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail("trailer section too large");
          break;
        }
        case St.TrailerLine: {
          const c = buf[i]!;
          if (c === 13) this.st = St.TrailerLf;
          else if ((c < 32 && c !== 9) || c === 127) return this.fail("invalid character in trailer");
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail("trailer section too large");
          break;
        }
        case St.TrailerLf:
          if (buf[i] !== 10) return this.fail("trailer line not ended by CRLF");
          this.st = St.TrailerLineStart;
          break;
        case St.FinalLf:
          if (buf[i] !== 10) return this.fail("chunked body not ended by CRLF");
          this.st = St.Done;
          return i + 1 - start;
        case St.Done:
          return i - start;
      }
      i++;
    }
    return i - start;
  }

  private fail(what: string): HttpError {
    // 400 as a request would have it; for a response body the caller answers 502 (upstreamFault).
    return new HttpError(400, `invalid chunked body: ${what}`);
  }
}

/**
 * Counts a body through as it streams, whichever direction: `take` says how many of the given bytes
 * belong to the body (all of them until its end; the rest is the next message), `done` that the end
 * was seen. A close-delimited body is never done: the peer's EOF ends it.
 */
export class BodyMeter {
  private remaining: number;
  private readonly chunks: ChunkedScanner | null;
  done: boolean;

  constructor(readonly framing: Framing) {
    this.remaining = framing.kind === "length" ? framing.length : 0;
    this.chunks = framing.kind === "chunked" ? new ChunkedScanner() : null;
    this.done = framing.kind === "none";
  }

  take(buf: Uint8Array): number | HttpError {
    if (this.done) return 0;
    if (this.chunks !== null) {
      const n = this.chunks.scan(buf, 0, buf.length);
      if (n instanceof HttpError) return n;
      this.done = this.chunks.done;
      return n;
    }
    if (this.framing.kind === "close") return buf.length;
    const n = Math.min(this.remaining, buf.length);
    this.remaining -= n;
    this.done = this.remaining === 0;
    return n;
  }
}
