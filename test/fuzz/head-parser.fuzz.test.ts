// Property tests for the head parser, framing and chunked validation together, the way the proxy
// runs them on a connection: valid messages built from the grammar, byte-level mutations of them and
// the classic smuggling mutations, each fed whole and split at random points. The verdict must never
// be an exception, must not depend on where the input was split or what lies outside it, and must be
// the strict reference's verdict (test/fuzz/reference.ts).

import { describe, expect, test } from "bun:test";
import type { HeadLimits } from "../../src/http/head-parser";
import { expectConfinedToInput, randomCuts, refSummary } from "./compare";
import { genRequest, genResponse, mutateBytes, requestHead, serializeBody, serializeRequest, serializeResponse, smuggleRequest, smuggleResponse, type Req } from "./http-gen";
import { latin1, ourRequest, ourResponse, summary } from "./ours";
import { fuzzIterations, withSeed, type Rng } from "./prng";
import { refRequest, refResponse } from "./reference";

const FILE = "test/fuzz/head-parser.fuzz.test.ts";
const LIMITS: HeadLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 256 };
const N = fuzzIterations(8000);
const tried: Record<string, number> = {};

function smallLimits(rng: Rng): HeadLimits {
  return { maxHeadBytes: rng.range(20, 400), maxHeaders: rng.range(0, 6) };
}

/** Whole, split, confined: one verdict, equal to the reference's. Returns it for further checks. */
function checkRequest(rng: Rng, raw: string, limits: HeadLimits) {
  const bytes = latin1(raw);
  const whole = ourRequest(bytes, limits);
  expect(summary(whole)).toEqual(refSummary(refRequest(raw, limits)));
  expect(summary(ourRequest(bytes, limits, randomCuts(rng, bytes.length)))).toEqual(summary(whole));
  expectConfinedToInput(rng, bytes, limits, whole.kind === "ok" && whole.framing.kind === "chunked" ? whole.headEnd : null);
  return whole;
}

function checkResponse(rng: Rng, raw: string, limits: HeadLimits, toHead: boolean) {
  const bytes = latin1(raw);
  const whole = ourResponse(bytes, limits, toHead);
  expect(summary(whole)).toEqual(refSummary(refResponse(raw, limits, toHead)));
  expect(summary(ourResponse(bytes, limits, toHead, randomCuts(rng, bytes.length)))).toEqual(summary(whole));
  expectConfinedToInput(rng, bytes, limits, null);
  return whole;
}

/** What the generator built, in the shape of `summary`. */
function expectedRequest(r: Req) {
  const headEnd = requestHead(r).length;
  const body = serializeBody(r.body);
  const framing = r.body.kind === "length" && r.body.data.length > 0 ? { kind: "length", length: r.body.data.length } : { kind: r.body.kind === "length" ? "none" : r.body.kind };
  return { kind: "ok", start: [r.method, r.target, `HTTP/1.${r.minor}`], fields: r.fields.map((f) => [f.name, f.value]), headEnd, framing, end: headEnd + body.length };
}

describe("head parser, framing and chunked validation under random input", () => {
  test("valid requests are accepted with exactly the head, framing and length they were built with", () => {
    withSeed(FILE, (rng, note) => {
      for (let i = 0; i < N; i++) {
        const r = genRequest(rng, { llhttpSafe: false });
        const raw = serializeRequest(r);
        note(raw);
        expect(summary(checkRequest(rng, raw, LIMITS))).toEqual(expectedRequest(r));
      }
      tried["valid requests"] = N;
    });
  });

  test("valid responses are accepted with exactly the head and length they were built with", () => {
    withSeed(FILE, (rng, note) => {
      for (let i = 0; i < N; i++) {
        const r = genResponse(rng, { llhttpSafe: false });
        const raw = serializeResponse(r);
        note(raw);
        const v = checkResponse(rng, raw, LIMITS, r.toHead);
        expect(v.kind).toBe("ok");
        if (v.kind !== "ok") continue;
        expect([v.head.status, v.head.reason, v.head.minor]).toEqual([r.status, r.reason ?? "", r.minor]);
        expect(v.head.names.map((n, k) => [n, v.head.values[k]])).toEqual(r.fields.map((f) => [f.name, f.value]));
        expect(v.end).toBe(raw.length);
      }
      tried["valid responses"] = N;
    });
  });

  test("mutated requests: the reference's verdict, whole or split, never an exception", () => {
    withSeed(FILE, (rng, note) => {
      for (let i = 0; i < N; i++) {
        const raw = mutateBytes(rng, serializeRequest(genRequest(rng, { llhttpSafe: false })));
        note(raw);
        checkRequest(rng, raw, rng.chance(0.2) ? smallLimits(rng) : LIMITS);
      }
      tried["mutated requests"] = N;
    });
  });

  test("mutated responses: the reference's verdict, whole or split, never an exception", () => {
    withSeed(FILE, (rng, note) => {
      for (let i = 0; i < N; i++) {
        const r = genResponse(rng, { llhttpSafe: false });
        const raw = mutateBytes(rng, serializeResponse(r));
        note(raw);
        checkResponse(rng, raw, rng.chance(0.2) ? smallLimits(rng) : LIMITS, r.toHead);
      }
      tried["mutated responses"] = N;
    });
  });

  test("smuggling mutations of requests are always refused", () => {
    const labels = new Set<string>();
    withSeed(FILE, (rng, note) => {
      for (let i = 0; i < N; i++) {
        const s = smuggleRequest(rng, genRequest(rng, { llhttpSafe: false }));
        note(`${s.label}: ${s.raw}`);
        labels.add(s.label.replace(/ ".*$|".*$/, ""));
        const v = checkRequest(rng, s.raw, LIMITS);
        expect(v.kind).toBe("reject");
      }
    });
    tried["smuggled requests"] = N;
    expect(labels.size).toBeGreaterThanOrEqual(10);
  });

  test("smuggling mutations of responses are always refused", () => {
    withSeed(FILE, (rng, note) => {
      for (let i = 0; i < N; i++) {
        const r = genResponse(rng, { llhttpSafe: false });
        const s = smuggleResponse(rng, r);
        note(`${s.label}: ${s.raw}`);
        const v = checkResponse(rng, s.raw, LIMITS, false);
        expect(v.kind).toBe("reject");
      }
    });
    tried["smuggled responses"] = N;
    console.log(`head parser fuzz: ${Object.entries(tried).map(([k, n]) => `${n} ${k}`).join(", ")}`);
  });
});
