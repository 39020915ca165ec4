// The shared token (--auth-token): what a good one looks like, where a request presents it, and the
// comparison. Pure. The token is compared as SHA-256 digests with timingSafeEqual: both sides are 32
// bytes whatever was sent, so neither the bytes nor the length of the real token leak through timing.

import { createHash, timingSafeEqual } from "node:crypto";
import type { Fields } from "../http/head-parser";
import { trimOws } from "../http/head-parser";
import { cookieValues, stripCookie } from "./browser";

const TOKEN_HEADER = "x-cmux-token";
const MIN_TOKEN_LENGTH = 16;
// URL-unreserved characters [RFC 3986 §2.3]: the token travels unescaped in a header, a Bearer
// credential, a cookie value and a query string.
const TOKEN_CHARS = /^[A-Za-z0-9._~-]+$/;

/** Why `token` cannot be used, or null. Never quotes the token: the line goes to stderr. */
export function tokenProblem(token: string, source: string): string | null {
  if (token.length < MIN_TOKEN_LENGTH || !TOKEN_CHARS.test(token)) {
    return `invalid ${source}: use at least ${MIN_TOKEN_LENGTH} characters from A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)`;
  }
  return null;
}

export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "latin1").digest();
}

export function tokenMatches(expected: Buffer, presented: string): boolean {
  // The digest reads one byte per char: a char above 0xFF (a decoded query value) would hash as its
  // low byte and pass as another spelling of the token. Only token chars can be the token.
  const digest = tokenDigest(presented);
  return timingSafeEqual(expected, digest) && TOKEN_CHARS.test(presented);
}

/** Where a request carried a token, for the reason a wrong one is refused with. */
export type TokenSource = "X-Cmux-Token" | "Proxy-Authorization" | "cookie";

export interface Presented {
  source: TokenSource;
  value: string;
}

const BEARER = /^bearer[ ]+([^ ]+)[ ]*$/i;
// Each candidate costs a SHA-256: a head of thousands of cmux_token cookies must not cost more
// than a few. Candidates past these are not looked at (a request needs one).
const MAX_PRESENTED = 8;

/** Every token the head carries: X-Cmux-Token, Proxy-Authorization: Bearer, the cmux_token cookie. */
export function presentedTokens(head: Fields): Presented[] {
  const out: Presented[] = [];
  for (let i = 0; i < head.lower.length; i++) {
    const name = head.lower[i]!;
    const value = head.values[i]!;
    if (name === TOKEN_HEADER) out.push({ source: "X-Cmux-Token", value: trimOws(value) });
    else if (name === "proxy-authorization") {
      const m = BEARER.exec(trimOws(value));
      // Another scheme counts as a presented but wrong credential: the 407 then says what to send.
      out.push({ source: "Proxy-Authorization", value: m === null ? "" : m[1]! });
    } else if (name === "cookie") {
      for (const v of cookieValues(value)) out.push({ source: "cookie", value: v });
    }
    if (out.length >= MAX_PRESENTED) return out.slice(0, MAX_PRESENTED);
  }
  return out;
}

/** Changes to a head's fields, by index into its arrays: the new value, or null when the field goes. */
export type FieldEdits = Map<number, string | null>;

/**
 * What removes the credentials meant for the proxy from a head about to be forwarded:
 * Proxy-Authorization (consumed by the proxy that asked for it [RFC 9110 §11.7.1]) and the
 * cmux_token cookie, other cookies kept byte for byte; null when nothing changes. X-Cmux-Token never
 * goes upstream anyway (src/http/outbound-head.ts).
 */
export function stripCredentials(head: Fields): FieldEdits | null {
  let edits: FieldEdits | null = null;
  for (let i = 0; i < head.lower.length; i++) {
    const name = head.lower[i]!;
    if (name === "proxy-authorization") (edits ??= new Map()).set(i, null);
    else if (name === "cookie") {
      const value = head.values[i]!;
      const keep = stripCookie(value);
      if (keep !== value) (edits ??= new Map()).set(i, keep);
    }
  }
  return edits;
}
