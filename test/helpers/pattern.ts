// Deterministic byte streams for checking that bodies arrive byte-exact without keeping them: stream
// `seed` is one fixed 64 KiB block read cyclically from an offset the seed picks, so two streams with
// different seeds differ at every position and a checker needs no copy of what was sent.

import type { Socket } from "bun";

export const BLOCK = 64 * 1024;
const BASE = (() => {
  const b = new Uint8Array(BLOCK);
  let x = 0x2545f491;
  for (let i = 0; i < BLOCK; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
})();

function start(seed: number): number {
  return (seed * 7919) % BLOCK;
}

/** The stream's bytes [offset, offset + n) with n clipped so no copy is needed; a view into BASE. */
export function patternSlice(seed: number, offset: number, n: number): Uint8Array {
  const at = (start(seed) + offset) % BLOCK;
  return BASE.subarray(at, at + Math.min(n, BLOCK - at));
}

/** A whole stream as one buffer (for small bodies). */
export function patternBytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; ) {
    const s = patternSlice(seed, off, n - off);
    out.set(s, off);
    off += s.length;
  }
  return out;
}

/** Checks received bytes against stream `seed` at their offset; `bad` is the first wrong offset. */
export class PatternChecker {
  got = 0;
  bad = -1;
  constructor(readonly seed: number) {}
  add(b: Uint8Array): void {
    for (let i = 0; i < b.length && this.bad === -1; ) {
      const want = patternSlice(this.seed, this.got + i, b.length - i);
      if (Buffer.compare(b.subarray(i, i + want.length), want) !== 0) this.bad = this.got + i;
      i += want.length;
    }
    this.got += b.length;
  }
}

/** Writes `total` bytes of stream `seed` to a socket as fast as it takes them; call `pump` on drain. */
export class PatternWriter {
  sent = 0;
  constructor(
    private readonly socket: Socket<any>,
    readonly seed: number,
    readonly total: number,
  ) {}
  get done(): boolean {
    return this.sent >= this.total;
  }
  pump(): void {
    while (this.sent < this.total) {
      const n = this.socket.write(patternSlice(this.seed, this.sent, this.total - this.sent));
      if (n <= 0) return;
      this.sent += n;
    }
  }
}
