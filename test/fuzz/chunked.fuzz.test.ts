// Property tests for the streaming chunked validator alone: valid chunked bodies (with extensions,
// trailers and bytes of the next message behind them), byte-level mutations of them and random bytes,
// fed whole and in random pieces. Where the body ends, or that it is invalid, or that more is needed
// must be the same however it is split, and the strict reference's answer.

import { expect, test } from "bun:test";
import { ChunkedScanner } from "../../src/http/body";
import { HttpError } from "../../src/http/errors";
import { randomCuts } from "./compare";
import { chunkedBody, mutateBytes, serializeBody } from "./http-gen";
import { latin1 } from "./ours";
import { fuzzIterations, withSeed, type Rng } from "./prng";
import { refChunked } from "./reference";

const FILE = "test/fuzz/chunked.fuzz.test.ts";
const N = fuzzIterations(15000);

type Outcome = { kind: "ok"; end: number } | { kind: "need" } | { kind: "reject" };

/** Feeds `bytes` to one scanner in pieces ending at `cuts`; the first error or the end decides. */
function scan(bytes: Uint8Array, cuts: number[]): Outcome {
  const s = new ChunkedScanner();
  let at = 0;
  for (const to of [...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length]) {
    const n = s.scan(bytes, at, to);
    if (n instanceof HttpError) return { kind: "reject" };
    if (n < 0 || n > to - at) throw new Error(`scan consumed ${n} of ${to - at} bytes`);
    at += n;
    if (s.done) return { kind: "ok", end: at };
    if (at !== to) throw new Error(`scan stopped at ${at} of ${to} without being done`);
  }
  return { kind: "need" };
}

function reference(raw: string): Outcome {
  const r = refChunked(raw, 0);
  return r.kind === "ok" ? { kind: "ok", end: r.end } : { kind: r.kind };
}

function input(rng: Rng): string {
  const body = serializeBody(chunkedBody(rng, { llhttpSafe: false }));
  const next = rng.chance(0.3) ? "GET /next HTTP/1.1\r\n\r\n" : "";
  switch (rng.int(4)) {
    case 0:
      return body + next;
    case 1:
    case 2:
      return mutateBytes(rng, body + next);
    default:
      // Random bytes biased towards the characters chunked framing is made of.
      return rng.string("0123456789abcdefABCDEFxg;= \t\r\n\r\n:Xx-\0\x7f\xa0", rng.range(0, 60));
  }
}

test("chunked bodies: the reference's verdict and end, however the bytes are split", () => {
  let accepted = 0;
  let refused = 0;
  withSeed(FILE, (rng, note) => {
    for (let i = 0; i < N; i++) {
      const raw = input(rng);
      note(raw);
      const bytes = latin1(raw);
      const whole = scan(bytes, []);
      expect(whole).toEqual(reference(raw));
      expect(scan(bytes, randomCuts(rng, bytes.length))).toEqual(whole);
      if (whole.kind === "ok") accepted++;
      if (whole.kind === "reject") refused++;
    }
  });
  console.log(`chunked fuzz: ${N} bodies, ${accepted} accepted, ${refused} refused, ${N - accepted - refused} incomplete`);
  expect(accepted).toBeGreaterThan(N / 10);
  expect(refused).toBeGreaterThan(N / 10);
});
