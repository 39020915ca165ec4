// Outbound head serialisation. Hop-by-hop headers [RFC 9110 §7.6.1] and the proxy's own headers
// (routing, Host override, token) are dropped; every other field is kept in order, with its
// multiplicity (Set-Cookie) and the case of its name. Transfer-Encoding and Content-Length are kept
// as received: bodies are forwarded verbatim, so the framing headers stay true.

import { HOST_OVERRIDE, type HeadEdit } from "./forwarded";
import type { Fields, RequestHead, ResponseHead } from "./head-parser";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]);
// Connection may not remove what frames or routes the message: bodies are forwarded verbatim, so
// dropping these would let the next hop read the body as another request.
const NEVER_LISTED = new Set(["content-length", "transfer-encoding", "host"]);
// The shared token (--auth-token, src/auth/token.ts) is for the proxy alone.
const TOKEN_HEADER = "x-cmux-token";

/** The proxy's own request headers: `X-Cmux-*-Internal` (routing), `X-Cmux-Host-Override` and the token. */
export function isInternalHeader(lowerName: string): boolean {
  return (
    (lowerName.startsWith("x-cmux-") && lowerName.endsWith("-internal")) || lowerName === HOST_OVERRIDE || lowerName === TOKEN_HEADER
  );
}

function appendFields(out: string, f: Fields, listed: readonly string[], keepUpgrade: boolean, drop: ReadonlySet<string> | null): string {
  let lengthSent = false;
  for (let i = 0; i < f.names.length; i++) {
    const lower = f.lower[i]!;
    if (HOP_BY_HOP.has(lower) && !(keepUpgrade && lower === "upgrade")) continue;
    if (isInternalHeader(lower)) continue;
    // `X_Forwarded_For` reaches CGI/WSGI apps as HTTP_X_FORWARDED_FOR, the same variable as the real
    // one: a field the proxy replaces goes in that spelling too.
    if (drop !== null && (drop.has(lower) || (lower.includes("_") && drop.has(lower.replaceAll("_", "-"))))) continue;
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

const ABSOLUTE = /^https?:\/\/([^/?#]*)/i;

/**
 * A request in absolute form names its target in the URI, and the URI wins over any Host
 * [RFC 9112 §3.2.2]: the Host field takes the URI's authority (without userinfo), so routing and the
 * Host sent upstream both follow it. Added when missing. Mutates `head`.
 */
export function applyAbsoluteForm(head: RequestHead): void {
  if (head.target.charCodeAt(0) === 47) return;
  const m = ABSOLUTE.exec(head.target);
  if (m === null) return;
  const authority = m[1]!.slice(m[1]!.lastIndexOf("@") + 1);
  const at = head.lower.indexOf("host");
  if (at !== -1) {
    head.values[at] = authority;
    return;
  }
  head.names.push("Host");
  head.lower.push("host");
  head.values.push(authority);
}

/** Absolute-form targets become origin-form [RFC 9112 §3.2.2]; others pass byte for byte. */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47) return target; // "/...": already origin-form, the usual case
  const m = ABSOLUTE.exec(target);
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
  /** Fields replaced by the proxy's own lines (forwarded headers, Host override): src/http/forwarded.ts. */
  edit?: HeadEdit;
}

export function serializeRequestHead(head: RequestHead, opts: RequestRewrite): string {
  let out = `${head.method} ${originForm(head.target)} HTTP/1.${head.minor}\r\n`;
  const edit = opts.edit;
  out = appendFields(out, head, opts.connection, opts.upgrade, edit === undefined || edit.drop.size === 0 ? null : edit.drop);
  // After the fields, so the Connection list (applied to the client's fields only) cannot reach them.
  if (edit !== undefined) for (const line of edit.append) out += line + "\r\n";
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
  out = appendFields(out, head, opts.connection, switching, null);
  if (switching) out += "Connection: Upgrade\r\n";
  else if (!opts.keepAlive) out += "Connection: close\r\n";
  else if (opts.clientMinor === 0) out += "Connection: keep-alive\r\n";
  return out + "\r\n";
}
