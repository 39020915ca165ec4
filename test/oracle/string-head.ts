// The string head parser and serializer the proxy used before heads were read as byte ranges
// (src/http/head-scan.ts, src/http/outbound-head.ts): the head decoded as latin1 and parsed into
// strings, the outbound head built as a string. Kept as the oracle of the differential tests
// (test/http/head-scan.test.ts, test/http/outbound-head.test.ts): the scanner must accept and
// refuse exactly what this does, and write the same bytes.

import { HttpError } from "../../src/http/errors";
import { HOST_OVERRIDE, type HeadEdit } from "../../src/http/forwarded";
import type { Fields, HeadLimits, HeadSpan, RequestHead, ResponseHead } from "../../src/http/head-parser";
import { KNOWN } from "../../src/http/head-scan";
import { originForm } from "../../src/http/target-form";
import { isTchar } from "../../src/http/token";

const LF = 10;
const CR = 13;
const SP = 32;
const HTAB = 9;
const COLON = 58;

export function decodeHead(buf: Uint8Array, span: HeadSpan): string {
  // Socket reads are Buffers already; wrapping a plain Uint8Array touches `.buffer`, which is slow
  // in JSC, so it is only done when needed. The final CRLFCRLF is dropped: lines joined by CRLF remain.
  const b = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.toString("latin1", span.start, span.end - 4);
}

function isToken(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    if (!isTchar(s.charCodeAt(i))) return false;
  }
  return true;
}

/** field-value: visible chars, obs-text, SP and HTAB; never NUL, CR, LF or other controls. */
function isFieldValue(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== HTAB) || c === 0x7f) return false;
  }
  return true;
}

/** One pass per line: the name is checked and its case noted, then the value scanned to its CRLF. */
function parseFields(text: string, from: number, limits: HeadLimits, fields: Fields): HttpError | null {
  const len = text.length;
  let pos = from;
  while (pos < len) {
    const first = text.charCodeAt(pos);
    if (first === SP || first === HTAB) return new HttpError(400, "obsolete line folding in header (continuation line)");
    let i = pos;
    let upper = false;
    let c = 0;
    for (; i < len; i++) {
      c = text.charCodeAt(i);
      if (c === COLON || !isTchar(c)) break;
      if (c >= 65 && c <= 90) upper = true;
    }
    if (c !== 58 || i === pos || i === len) {
      let eol = text.indexOf("\r\n", pos);
      if (eol === -1) eol = len;
      if (text.indexOf(":", pos) === -1 || text.indexOf(":", pos) > eol) {
        return new HttpError(400, `header line without a colon: "${clip(text, pos, eol)}"`);
      }
      return new HttpError(400, `invalid header name: "${clip(text, pos, text.indexOf(":", pos))}" (no spaces or controls before the colon)`);
    }
    const colon = i;
    let vs = colon + 1;
    while (vs < len && (text.charCodeAt(vs) === SP || text.charCodeAt(vs) === HTAB)) vs++;
    // Scan the value to the line end; a CR not followed by LF, and any other control, is invalid.
    let eol = vs;
    for (; eol < len; eol++) {
      c = text.charCodeAt(eol);
      if (c >= 0x20 && c !== 0x7f) continue;
      if (c === HTAB) continue;
      if (c === CR && text.charCodeAt(eol + 1) === LF) break;
      return new HttpError(400, `invalid character in value of header "${text.slice(pos, colon)}"`);
    }
    let ve = eol;
    while (ve > vs && (text.charCodeAt(ve - 1) === SP || text.charCodeAt(ve - 1) === HTAB)) ve--;
    if (fields.names.length >= limits.maxHeaders) {
      return new HttpError(431, `more than ${limits.maxHeaders} header fields`);
    }
    const name = text.slice(pos, colon);
    fields.names.push(name);
    fields.lower.push(upper ? name.toLowerCase() : name);
    fields.values.push(text.slice(vs, ve));
    pos = eol + 2;
  }
  return null;
}

function clip(s: string, from: number, to: number): string {
  const t = s.slice(from, Math.min(to, from + 40));
  return JSON.stringify(t).slice(1, -1);
}

/** "HTTP/1.1" -> 1, "HTTP/1.0" -> 0, another well-formed version -> 505, anything else -> 400. */
function parseVersion(s: string): 0 | 1 | HttpError {
  if (s === "HTTP/1.1") return 1;
  if (s === "HTTP/1.0") return 0;
  if (/^HTTP\/[0-9]\.[0-9]$/.test(s)) return new HttpError(505, `unsupported HTTP version ${s} (send HTTP/1.1)`);
  return new HttpError(400, `invalid HTTP version "${clip(s, 0, s.length)}" (expected HTTP/1.1)`);
}

export function parseRequestHead(text: string, limits: HeadLimits): RequestHead | HttpError {
  let eol = text.indexOf("\r\n");
  if (eol === -1) eol = text.length;
  const sp1 = text.indexOf(" ");
  const sp2 = sp1 === -1 ? -1 : text.indexOf(" ", sp1 + 1);
  if (sp1 === -1 || sp2 === -1 || sp2 > eol || text.indexOf(" ", sp2 + 1) !== -1 && text.indexOf(" ", sp2 + 1) < eol) {
    return new HttpError(400, `malformed request line "${clip(text, 0, eol)}" (expected "METHOD target HTTP/1.1")`);
  }
  if (!isToken(text, 0, sp1)) return new HttpError(400, `invalid method "${clip(text, 0, sp1)}"`);
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return new HttpError(400, "invalid character in request target");
  }
  if (sp2 === sp1 + 1) return new HttpError(400, "empty request target");
  const minor = parseVersion(text.slice(sp2 + 1, eol));
  if (minor instanceof HttpError) return minor;
  const head: RequestHead = {
    method: text.slice(0, sp1),
    target: text.slice(sp1 + 1, sp2),
    minor,
    names: [],
    lower: [],
    values: [],
  };
  const err = parseFields(text, eol + 2, limits, head);
  if (err !== null) return err;
  // Two Hosts would let the router and the upstream disagree about the target [RFC 9112 §3.2].
  if (head.lower.indexOf("host") !== head.lower.lastIndexOf("host")) return new HttpError(400, "more than one Host header");
  return head;
}

/** Errors are what a request would get; the caller answers the upstream's with 502 (upstreamFault). */
export function parseResponseHead(text: string, limits: HeadLimits): ResponseHead | HttpError {
  let eol = text.indexOf("\r\n");
  if (eol === -1) eol = text.length;
  // "HTTP/1.x DDD[ reason]", checked by hand: this runs once per response.
  const v = text.charCodeAt(7);
  const d0 = text.charCodeAt(9) - 48;
  const d1 = text.charCodeAt(10) - 48;
  const d2 = text.charCodeAt(11) - 48;
  const ok =
    eol >= 12 &&
    text.startsWith("HTTP/1.") &&
    (v === 48 || v === 49) &&
    text.charCodeAt(8) === SP &&
    d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 &&
    (eol === 12 || text.charCodeAt(12) === SP) &&
    isFieldValue(text, 0, eol);
  if (!ok) return new HttpError(400, `malformed status line "${clip(text, 0, eol)}"`);
  const head: ResponseHead = {
    status: d0 * 100 + d1 * 10 + d2,
    reason: eol > 13 ? text.slice(13, eol) : "",
    minor: v === 49 ? 1 : 0,
    names: [],
    lower: [],
    values: [],
  };
  const err = parseFields(text, eol + 2, limits, head);
  return err ?? head;
}


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

/** An edit's drop bits (head-scan ids) as the lowercase names they stand for. */
function dropNames(drop: number): ReadonlySet<string> {
  const out = new Set<string>();
  for (let i = 0; i < KNOWN.length; i++) if ((drop >>> (i + 1)) & 1) out.add(KNOWN[i]!);
  return out;
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

/** The string serializer's absolute-form rule: the URI's authority replaces Host, or is added. In place. */
export function applyAbsoluteForm(head: RequestHead): void {
  if (head.target.charCodeAt(0) === 47) return;
  const m = /^https?:\/\/([^/?#]*)/i.exec(head.target);
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
  out = appendFields(out, head, opts.connection, opts.upgrade, edit === undefined || edit.drop === 0 ? null : dropNames(edit.drop));
  // After the fields, so the Connection list (applied to the client's fields only) cannot reach them.
  if (edit !== undefined) out += edit.append.toString("latin1");
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
