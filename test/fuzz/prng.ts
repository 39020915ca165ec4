// Seeded randomness for the property tests: every run draws its inputs from one 32-bit seed, printed
// when a property fails, so `FUZZ_SEED=<seed>` replays exactly that run. `FUZZ_ITERATIONS` scales how
// many inputs each property tries (the defaults keep `bun run test` quick).

import { randomInt } from "node:crypto";

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    // splitmix32 spreads the seed over sfc32's four words.
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
  }

  /** sfc32: a uniform 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` characters drawn from `alphabet`. */
  string(alphabet: string, n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

/** The run's seed: FUZZ_SEED if given, else a fresh random one. */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`FUZZ_SEED must be an integer 0..4294967295, got "${env}"`);
    return n;
  }
  return randomInt(0, 0xffffffff);
}

/** How many inputs a property tries: FUZZ_ITERATIONS if given, else `dflt`. */
export function fuzzIterations(dflt: number): number {
  const env = process.env.FUZZ_ITERATIONS;
  if (env === undefined || env === "") return dflt;
  const n = Number(env);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`FUZZ_ITERATIONS must be a positive integer, got "${env}"`);
  return n;
}

/** A latin1 string as printable ASCII: other bytes as \\xHH (\\r and \\n kept readable). */
export function escapeBytes(s: string): string {
  return s.replace(/[^\x20-\x7e]|["\\]/g, (c) => {
    if (c === "\r") return "\\r";
    if (c === "\n") return "\\n";
    if (c === '"' || c === "\\") return "\\" + c;
    return "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0");
  });
}

/**
 * Runs `body` with a generator seeded by the run's seed; a failure is re-thrown with the seed, the
 * input that failed (escaped) and the command that replays it.
 */
export function withSeed(file: string, body: (rng: Rng, note: (input: string) => void) => void): void {
  const seed = fuzzSeed();
  const rng = new Rng(seed);
  let current = "";
  try {
    body(rng, (input) => {
      current = input;
    });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message =
      `${err.message}\n  fuzz seed ${seed}; failing input: "${escapeBytes(current)}"` +
      `\n  replay: FUZZ_SEED=${seed}${process.env.FUZZ_ITERATIONS ? ` FUZZ_ITERATIONS=${process.env.FUZZ_ITERATIONS}` : ""} bun run test ${file}`;
    throw err;
  }
}
