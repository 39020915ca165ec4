// Head accumulation for either direction: bytes arrive in any pieces, the head's end is searched only
// in bytes not yet seen (the resume point), and the size limit holds however the bytes are split.

import { HttpError } from "./errors";
import { findHeadEnd, type HeadLimits, type HeadSpan } from "./head-parser";

/** The reads as they came: a socket read is a Buffer, so a head can be decoded from it directly. */
function concat(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (a === null || a.length === 0) return b;
  const out = Buffer.allocUnsafe(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class HeadReader {
  /** Bytes received and not taken yet: a partial head, or what follows a complete one. */
  bytes: Uint8Array | null = null;
  /** The bytes the head `next` last found is in, until `takeHeadBytes`. */
  private headBytes: Uint8Array | null = null;
  private resume = 0;

  constructor(private readonly limits: HeadLimits) {}

  get size(): number {
    return this.bytes === null ? 0 : this.bytes.length;
  }

  push(data: Uint8Array): void {
    this.bytes = concat(this.bytes, data);
  }

  /**
   * A complete head at the front: its span in the bytes it was found in (`takeHeadBytes`; what
   * follows stays buffered), null while more bytes are needed, or the error (431 too large, 400
   * malformed).
   */
  next(): HeadSpan | null | HttpError {
    const buf = this.bytes;
    if (buf === null || buf.length === 0) return null;
    const r = findHeadEnd(buf, 0, buf.length, this.resume, this.limits);
    if (typeof r === "number") {
      this.resume = r;
      return null;
    }
    if (r instanceof HttpError) return r;
    this.resume = 0;
    this.bytes = r.end === buf.length ? null : buf.subarray(r.end);
    this.headBytes = buf;
    return r;
  }

  /**
   * The bytes the head `next` just found is in (its span is an offset into them), handed over once:
   * the reader keeps no reference, so a long exchange (a slow reader's download) does not hold the
   * whole read alive.
   */
  takeHeadBytes(): Uint8Array {
    const b = this.headBytes!;
    this.headBytes = null;
    return b;
  }

  /** Takes the first `n` bytes (all when omitted): body or tunnel bytes that follow a head. */
  take(n = this.size): Uint8Array | null {
    const buf = this.bytes;
    if (buf === null || n === 0) return null;
    if (n >= buf.length) {
      this.bytes = null;
      return buf;
    }
    this.bytes = buf.subarray(n);
    return buf.subarray(0, n);
  }
}
