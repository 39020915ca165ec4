// A second parser's opinion: Node's llhttp (strict mode, in a `node` child) reads the same random
// messages. Where both accept a message they must agree on everything a proxy relies on: method,
// target, version, status, every field name and value in order, where the message ends and how many
// body bytes it carries. Where the proxy accepts and llhttp refuses, the reason must be one of the
// known, deliberate differences below; anything else is a finding.

import { expect, test } from "bun:test";
import type { HeadLimits } from "../../src/http/head-parser";
import { genRequest, genResponse, mutateBytes, serializeRequest, serializeResponse } from "./http-gen";
import { llhttpParse, type LlhttpResult } from "./llhttp";
import { latin1, ourRequest, ourResponse, type OurVerdict } from "./ours";
import { escapeBytes, fuzzIterations, fuzzSeed, Rng } from "./prng";
import { refRequest, refResponse } from "./reference";
import type { RequestHead, ResponseHead } from "../../src/http/head-parser";

const FILE = "test/fuzz/llhttp-agreement.fuzz.test.ts";
const LIMITS: HeadLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 256 };
const N = fuzzIterations(8000);

interface Case {
  raw: string;
  type: "request" | "response";
  toHead: boolean;
  mutated: boolean;
  ours: OurVerdict<RequestHead | ResponseHead>;
  /** Payload bytes by the reference (chunked: the sum of the chunk sizes). */
  payload: number;
}

function fieldLines(raw: string, lowerName: string): string[] {
  const from = /^(\r\n)*/.exec(raw)![0].length;
  const head = raw.slice(from, raw.indexOf("\r\n\r\n", from) + 2);
  return head.split("\r\n").filter((l) => l.toLowerCase().startsWith(lowerName + ":"));
}

function isBodiless(c: Case): boolean {
  if (c.type !== "response" || c.ours.kind !== "ok") return false;
  const s = (c.ours.head as ResponseHead).status;
  return c.toHead || (s >= 100 && s < 200) || s === 204 || s === 304;
}

/**
 * Where the proxy is deliberately more lenient than llhttp. Each names llhttp's error and a property
 * of the input that explains it; an llhttp refusal that matches none fails the test.
 */
const KNOWN_DIFFERENCES: { label: string; error: RegExp; applies: (c: Case) => boolean }[] = [
  {
    label: "a method llhttp does not know (the proxy forwards any token)",
    error: /^HPE_INVALID_METHOD/,
    applies: (c) => !/^(GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE|PATCH|PROPFIND|MKCOL|PURGE|REPORT|SEARCH|LINK|QUERY) /.test(c.raw),
  },
  {
    label: "a target with bytes outside RFC 3986 (the proxy forwards any visible byte)",
    error: /^HPE_INVALID_URL/,
    applies: (c) => c.ours.kind === "ok" && /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]|^[^/*]/.test((c.ours.head as RequestHead).target),
  },
  {
    label: "Content-Length repeated with the same value (one value to the proxy [RFC 9110 §8.6])",
    error: /^HPE_(UNEXPECTED|INVALID)_CONTENT_LENGTH/,
    applies: (c) => fieldLines(c.raw, "content-length").length > 1 || fieldLines(c.raw, "content-length").some((l) => l.includes(",")),
  },
  {
    label: "HTAB as optional whitespace around Content-Length or Transfer-Encoding [RFC 9110 §5.6.3]",
    error: /^HPE_(INVALID|UNEXPECTED)_(CONTENT_LENGTH|TRANSFER_ENCODING)/,
    applies: (c) => [...fieldLines(c.raw, "content-length"), ...fieldLines(c.raw, "transfer-encoding")].some((l) => l.includes("\t")),
  },
  {
    label: "framing fields in a chunked trailer (never used for framing [RFC 9110 §6.5.1]; llhttp reads trailers as header fields)",
    error: /^HPE_(INVALID|UNEXPECTED)_(CONTENT_LENGTH|TRANSFER_ENCODING)/,
    applies: (c) => c.ours.kind === "ok" && c.ours.framing.kind === "chunked" && /\r\n0[^\r]*\r\n(?:[^\r]*\r\n)*(content-length|transfer-encoding):/i.test(c.raw.slice(c.ours.headEnd - 2)),
  },
  {
    label: "whitespace between a chunk size and its extension's `;` (the BWS RFC 9112 §7.1.1 allows there)",
    error: /^HPE_INVALID_CHUNK_SIZE/,
    applies: (c) => c.ours.kind === "ok" && c.ours.framing.kind === "chunked" && /(^|\n)[0-9A-Fa-f]+[ \t]+;/.test(c.raw.slice(c.ours.headEnd)),
  },
  {
    label: "chunk extensions beyond token[=token|quoted-string] (the proxy checks only for controls)",
    error: /^HPE_STRICT: Invalid character in chunk extension/,
    applies: (c) => c.ours.kind === "ok" && c.ours.framing.kind === "chunked",
  },
  {
    label: "framing fields of a response that has no body (HEAD, 1xx, 204, 304) are not read",
    error: /^HPE_(INVALID|UNEXPECTED)_(CONTENT_LENGTH|TRANSFER_ENCODING)|^HPE_STRICT/,
    applies: isBodiless,
  },
];

/**
 * Where both accept but llhttp reads the message differently, for a reason that cannot reach a client
 * through the proxy: the proxy re-serialises field values without their optional whitespace.
 */
const KNOWN_READINGS: { label: string; applies: (c: Case) => boolean }[] = [
  {
    label: "HTAB around a response's Transfer-Encoding: llhttp reads the body to the close (the proxy forwards the value without the HTAB)",
    applies: (c) => c.type === "response" && fieldLines(c.raw, "transfer-encoding").some((l) => l.includes("\t")),
  },
];

function disagreement(c: Case, r: LlhttpResult): string | null {
  const v = c.ours;
  if (v.kind !== "ok") return null;
  if (r.error !== null) {
    const known = KNOWN_DIFFERENCES.find((k) => k.error.test(r.error!) && k.applies(c));
    return known === undefined ? `llhttp refused what the proxy accepts: ${r.error}` : null;
  }
  if (r.begun !== 1 || r.messages.length !== 1) return `llhttp saw ${r.begun} messages where the proxy saw one`;
  const m = r.messages[0]!;
  if (!m.complete) return "llhttp did not see the message end where the proxy did";
  const got: unknown[] = [m.version, m.headers, m.body];
  const want: unknown[] = [`HTTP/1.${v.head.minor}`, v.head.names.flatMap((n, i) => [n, v.head.values[i]]), c.payload];
  if ("method" in v.head) {
    got.push(m.method, m.url);
    want.push(v.head.method, v.head.target);
  } else {
    got.push(m.status, m.reason);
    want.push(v.head.status, v.head.reason);
  }
  const a = JSON.stringify(got);
  const b = JSON.stringify(want);
  if (a === b || KNOWN_READINGS.some((k) => k.applies(c))) return null;
  return `llhttp read ${a}, the proxy ${b}`;
}

test("llhttp and the proxy read valid and mutated messages the same way", async () => {
  const cases: Case[] = [];
  const seed = fuzzSeed();
  const rng = new Rng(seed);
  for (let i = 0; i < N; i++) {
    const mutated = i >= N / 2;
    if (rng.chance(0.5)) {
      const valid = serializeRequest(genRequest(rng, { llhttpSafe: true }));
      const raw = mutated ? mutateBytes(rng, valid) : valid;
      const ref = refRequest(raw, LIMITS);
      cases.push({ raw, type: "request", toHead: false, mutated, ours: ourRequest(latin1(raw), LIMITS), payload: ref.kind === "ok" ? ref.payload : -1 });
    } else {
      const r = genResponse(rng, { llhttpSafe: true });
      const raw = mutated ? mutateBytes(rng, serializeResponse(r)) : serializeResponse(r);
      const ref = refResponse(raw, LIMITS, r.toHead);
      cases.push({ raw, type: "response", toHead: r.toHead, mutated, ours: ourResponse(latin1(raw), LIMITS, r.toHead), payload: ref.kind === "ok" ? ref.payload : -1 });
    }
  }
  // llhttp gets exactly the bytes the proxy took as one message (or all of them when it refused).
  const results = await llhttpParse(cases.map((c) => ({ type: c.type, bytes: latin1(c.raw).subarray(0, c.ours.kind === "ok" ? c.ours.end : undefined), toHead: c.toHead })));

  const findings: string[] = [];
  const stricter = new Map<string, number>();
  const lenient = new Map<string, number>();
  let agreed = 0;
  cases.forEach((c, i) => {
    const r = results[i]!;
    if (!c.mutated && (c.ours.kind !== "ok" || r.error !== null)) findings.push(`a valid message was refused: the proxy ${c.ours.kind}, llhttp ${r.error}\n    input: "${escapeBytes(c.raw)}"`);
    const why = disagreement(c, r);
    if (why !== null) findings.push(`${why}\n    input: "${escapeBytes(c.raw)}"`);
    else if (c.ours.kind === "ok" && r.error === null) {
      const k = KNOWN_READINGS.find((d) => d.applies(c));
      if (k === undefined) agreed++;
      else lenient.set(k.label, (lenient.get(k.label) ?? 0) + 1);
    }
    else if (c.ours.kind === "ok") {
      const k = KNOWN_DIFFERENCES.find((d) => d.error.test(r.error!) && d.applies(c))!.label;
      lenient.set(k, (lenient.get(k) ?? 0) + 1);
    } else if (c.ours.kind === "reject" && r.error === null && r.messages.some((m) => m.complete)) {
      const k = c.ours.reason.replace(/".*"|[0-9]+/g, "…").slice(0, 70);
      stricter.set(k, (stricter.get(k) ?? 0) + 1);
    }
  });
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${n} × ${k}`).join("\n");
  console.log(
    `llhttp agreement: ${cases.length} messages (${N / 2} valid, ${N / 2} mutated); both accepted and agreed on ${agreed}\n` +
      `  the proxy accepted, llhttp refused or read otherwise (known differences):\n${top(lenient)}\n` +
      `  the proxy refused what llhttp accepted:\n${top(stricter)}`,
  );
  const replay = `FUZZ_SEED=${seed}${process.env.FUZZ_ITERATIONS ? ` FUZZ_ITERATIONS=${N}` : ""} bun run test ${FILE}`;
  expect({ replay, findings: findings.slice(0, 5) }).toEqual({ replay, findings: [] });
  expect(agreed).toBeGreaterThan(N / 2);
}, 60_000);
