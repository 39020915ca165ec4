// The string serializer cmux-proxy used before outbound heads were copied as byte ranges
// (src/http/outbound-head.ts), kept unchanged as the oracle of the differential tests: both must
// write the same bytes for every head.

import type { Fields, RequestHead, ResponseHead } from "./string-head-parser";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]);
// Connection may not remove what frames or routes the message: bodies are forwarded verbatim, so
// dropping these would let the next hop read the body as another request.
const NEVER_LISTED = new Set(["content-length", "transfer-encoding", "host"]);

export function isInternalHeader(lowerName: string): boolean {
  return lowerName.startsWith("x-cmux-") && lowerName.endsWith("-internal");
}

function appendFields(out: string, f: Fields, listed: readonly string[], keepUpgrade: boolean): string {
  let lengthSent = false;
  for (let i = 0; i < f.names.length; i++) {
    const lower = f.lower[i]!;
    if (HOP_BY_HOP.has(lower) && !(keepUpgrade && lower === "upgrade")) continue;
    if (isInternalHeader(lower)) continue;
    if (listed.length > 0 && listed.includes(lower) && !NEVER_LISTED.has(lower) && !(keepUpgrade && lower === "upgrade")) continue;
    let value = f.values[i]!;
    if (lower === "content-length") {
      // Framing has checked that every Content-Length member is the same number. Repeats are valid
      // [RFC 9110 §8.6] but strict peers (Node's llhttp) refuse them, so exactly one goes on.
      if (lengthSent) continue;
      lengthSent = true;
      const comma = value.indexOf(",");
      if (comma !== -1) value = value.slice(0, comma).replace(/[ \t]+$/, "");
    }
    out += f.names[i] + ": " + value + "\r\n";
  }
  return out;
}

/** Absolute-form targets become origin-form [RFC 9112 §3.2.2]; others pass byte for byte. */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47) return target; // "/...": already origin-form, the usual case
  const m = /^https?:\/\/[^/?#]*/i.exec(target);
  if (m === null) return target;
  const rest = target.slice(m[0].length);
  return rest.startsWith("/") ? rest : "/" + rest;
}

/** What the caller has already read from the head for its own decisions, so it is read once. */
interface Rewrite {
  /** The head's Connection tokens (`fieldTokens(head, "connection")`): the fields they name go too. */
  connection: readonly string[];
}

export interface RequestRewrite extends Rewrite {
  upgrade: boolean;
}

export function serializeRequestHead(head: RequestHead, opts: RequestRewrite): string {
  let out = `${head.method} ${originForm(head.target)} HTTP/1.${head.minor}\r\n`;
  out = appendFields(out, head, opts.connection, opts.upgrade);
  if (opts.upgrade) out += "Connection: Upgrade\r\n";
  // An HTTP/1.0 upstream exchange is never reused (no keep-alive negotiation upstream).
  else if (head.minor === 0) out += "Connection: close\r\n";
  return out + "\r\n";
}

export interface ResponseRewrite extends Rewrite {
  /** The client connection stays open after this response. */
  keepAlive: boolean;
  clientMinor: 0 | 1;
}

export function serializeResponseHead(head: ResponseHead, opts: ResponseRewrite): string {
  const switching = head.status === 101;
  let out = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
  out = appendFields(out, head, opts.connection, switching);
  if (switching) out += "Connection: Upgrade\r\n";
  else if (!opts.keepAlive) out += "Connection: close\r\n";
  else if (opts.clientMinor === 0) out += "Connection: keep-alive\r\n";
  return out + "\r\n";
}
