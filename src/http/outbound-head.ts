// The outbound head as bytes: the scanned input head (head-scan.ts) copied range by range into one
// buffer, dropped lines skipped, plus the lines the proxy adds, and the first body bytes behind it
// (one allocation, one write). Hop-by-hop fields [RFC 9110 §7.6.1], the fields Connection names
// and the proxy's own X-Cmux-* fields (routing, Host override, token) are dropped; every other field
// is kept in order, with its multiplicity (Set-Cookie) and the case of its name; repeated
// Content-Length goes on as one; a field line is written as `Name: value` (the value without its
// surrounding whitespace). Transfer-Encoding and Content-Length are kept as received: bodies are
// forwarded verbatim, so the framing headers stay true.
import { CMUX_INTERNAL, type HeadScan, known, withAliases } from "./head-scan";
import { originForm } from "./target-form";

interface Outbound {
  /** The head's Connection tokens (lowercased, as `fieldTokens` gives them): the fields they name go too. */
  connection: readonly string[];
  /** Whole field lines the proxy adds after the kept fields, each ending in CRLF (`fieldLines`). */
  append?: Buffer;
  /** Bit `id` set (a head-scan id): every field with that id is dropped too (a field the proxy replaces;
   * its underscore spelling goes with it: head-scan.ts FORWARDED_ALIAS). */
  drop?: number;
}

/** Per field (an index into the scan): its new value, or null to drop it (the token's credentials). */
export type FieldValues = ReadonlyMap<number, string | null>;

export interface OutboundRequest extends Outbound {
  upgrade: boolean;
  /** The Host an absolute-form target names [RFC 9112 §3.2.2]: it replaces the Host field's value,
   * or is added (before `append`) when there is none; unless `drop` removes Host. */
  host?: string | null;
  values?: FieldValues | null;
}

export interface OutboundResponse extends Outbound {
  /** The client connection stays open after this response. */
  keepAlive: boolean;
  clientMinor: 0 | 1;
}

const TAB = 9;
const SP = 32;
const COMMA = 44;
const SLASH = 47;

const CONTENT_LENGTH = known("content-length");
const UPGRADE = known("upgrade");
const HOST = known("host");
const HOP_BY_HOP = (["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"] as const).reduce((m, n) => m | (1 << known(n)), 0);
// The proxy's own fields: routing, the Host override, the shared token (for the proxy alone).
const OWN = (["x-cmux-port-internal", "x-cmux-workspace-internal", "x-cmux-host-override", "x-cmux-token"] as const).reduce((m, n) => m | (1 << known(n)), 1 << CMUX_INTERNAL);
const ALWAYS_DROPPED = HOP_BY_HOP | OWN;
/** `valueTo` of a line written with a replacement value (`replaced`). */
const REPLACED = -2;
// Connection may not remove what frames or routes the message: bodies are forwarded verbatim.
const NEVER_LISTED = new Set(["content-length", "transfer-encoding", "host"]);
const HOP_BY_HOP_NAMES = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]);

const NONE: readonly string[] = [];
const UPGRADE_LINE = Buffer.from("Connection: Upgrade\r\n", "latin1");
const CLOSE_LINE = Buffer.from("Connection: close\r\n", "latin1");
const KEEP_ALIVE_LINE = Buffer.from("Connection: keep-alive\r\n", "latin1");
const NO_LINE = Buffer.alloc(0);
const HTTP11 = Buffer.from("HTTP/1.1 ", "latin1");
// Below this many bytes a plain loop copies faster than a call into native code.
const SHORT_COPY = 48;

/** src[from, to) to out[at...]; returns the offset after it. */
function copy(src: Uint8Array, from: number, to: number, out: Buffer, at: number): number {
  if (to - from > SHORT_COPY) return at + (src as Buffer).copy(out, at, from, to);
  for (let i = from; i < to; i++) out[at++] = src[i]!;
  return at;
}

/** Per field line: where its written value ends, -1 when the line is dropped, REPLACED. Reused across heads. */
let valueTo = new Int32Array(64);
/** The replacement values of the head being written, by field index. */
const replaced: (string | undefined)[] = [];

/** Connection tokens that can drop a field no other rule drops (usually none, or "close"). */
function listedNames(tokens: readonly string[]): readonly string[] {
  let out: string[] | null = null;
  for (const t of tokens) {
    if (HOP_BY_HOP_NAMES.has(t) || NEVER_LISTED.has(t)) continue;
    (out ??= []).push(t);
  }
  return out ?? NONE;
}

function isListed(scan: HeadScan, i: number, listed: readonly string[]): boolean {
  const b = scan.buf;
  const from = scan.nameStart[i]!;
  const n = scan.nameEnd[i]! - from;
  for (const t of listed) {
    if (t.length !== n) continue;
    let k = 0;
    for (; k < n; k++) {
      let c = b[from + k]!;
      if (c >= 65 && c <= 90) c += 32;
      if (c !== t.charCodeAt(k)) break;
    }
    if (k === n) return true;
  }
  return false;
}

/**
 * Decides every field line (into `valueTo`) and returns the bytes the kept ones take. `keepUpgrade`:
 * the Upgrade field goes on (an upgrade request, a 101).
 */
function planFields(scan: HeadScan, opts: Outbound, keepUpgrade: boolean, values: FieldValues | null, host: string | null): number {
  if (valueTo.length < scan.count) valueTo = new Int32Array(scan.count * 2);
  const listed = opts.connection.length > 0 ? listedNames(opts.connection) : opts.connection;
  const drop = (opts.drop === undefined ? 0 : withAliases(opts.drop)) | (keepUpgrade ? ALWAYS_DROPPED & ~(1 << UPGRADE) : ALWAYS_DROPPED);
  const b = scan.buf;
  let lengthSent = false;
  let bytes = 0;
  for (let i = 0; i < scan.count; i++) {
    const id = scan.id[i]!;
    if ((drop >>> id) & 1 || (listed.length > 0 && isListed(scan, i, listed))) {
      valueTo[i] = -1;
      continue;
    }
    let to = values === null ? undefined : values.get(i);
    if (to === undefined && id === HOST && host !== null) to = host;
    if (to === null) {
      valueTo[i] = -1;
      continue;
    }
    if (to !== undefined) {
      valueTo[i] = REPLACED;
      replaced[i] = to;
      bytes += scan.nameEnd[i]! - scan.nameStart[i]! + 2 + to.length + 2;
      continue;
    }
    const vs = scan.valueStart[i]!;
    let ve = scan.valueEnd[i]!;
    if (id === CONTENT_LENGTH) {
      // Framing has checked that every member is the same number. Repeats are valid [RFC 9110
      // §8.6] but strict peers (Node's llhttp) refuse them, so exactly one goes on.
      if (lengthSent) {
        valueTo[i] = -1;
        continue;
      }
      lengthSent = true;
      const comma = b.indexOf(COMMA, vs);
      if (comma !== -1 && comma < ve) {
        ve = comma;
        while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === TAB)) ve--;
      }
    }
    valueTo[i] = ve;
    bytes += scan.nameEnd[i]! - scan.nameStart[i]! + 2 + (ve - vs) + 2;
  }
  return bytes;
}

/** Copies the kept field lines to out[at...]; lines already in `Name: value` form are copied in runs. */
function writeFields(scan: HeadScan, out: Buffer, at: number): number {
  const b = scan.buf;
  let runFrom = -1;
  let runTo = -1;
  for (let i = 0; i < scan.count; i++) {
    const ve = valueTo[i]!;
    if (ve === -1) continue;
    const ns = scan.nameStart[i]!;
    const ne = scan.nameEnd[i]!;
    if (ve === REPLACED) {
      if (runFrom !== -1) at = copy(b, runFrom, runTo, out, at);
      runFrom = runTo = -1;
      at = copy(b, ns, ne, out, at);
      out[at++] = 58;
      out[at++] = SP;
      at += out.write(replaced[i]!, at, "latin1");
      replaced[i] = undefined;
      out[at++] = 13;
      out[at++] = 10;
      continue;
    }
    const vs = scan.valueStart[i]!;
    if (vs === ne + 2 && b[ne + 1] === SP && ve === scan.valueEnd[i] && scan.lineEnd[i] === ve + 2) {
      // The line is already `Name: value\r\n`.
      if (runTo !== ns) {
        if (runFrom !== -1) at = copy(b, runFrom, runTo, out, at);
        runFrom = ns;
      }
      runTo = ve + 2;
      continue;
    }
    if (runFrom !== -1) at = copy(b, runFrom, runTo, out, at);
    runFrom = runTo = -1;
    at = copy(b, ns, ne, out, at);
    out[at++] = 58;
    out[at++] = SP;
    at = copy(b, vs, ve, out, at);
    out[at++] = 13;
    out[at++] = 10;
  }
  if (runFrom !== -1) at = copy(b, runFrom, runTo, out, at);
  return at;
}

/** `Name: value` lines (latin1) as the bytes `append` takes: encoded once, copied into every head. */
export function fieldLines(lines: readonly string[]): Buffer {
  return Buffer.from(lines.map((l) => l + "\r\n").join(""), "latin1");
}

function appendedBytes(append: Buffer | undefined, hostLine: string | null): number {
  return (hostLine === null ? 0 : hostLine.length + 2) + (append === undefined ? 0 : append.length);
}

/** The added lines, the proxy's Connection line, the empty line, then the body bytes. */
function finish(out: Buffer, at: number, hostLine: string | null, append: Buffer | undefined, connection: Buffer, body: Uint8Array | null): Buffer {
  if (hostLine !== null) {
    at += out.write(hostLine, at, "latin1");
    out[at++] = 13;
    out[at++] = 10;
  }
  if (append !== undefined) at = copy(append, 0, append.length, out, at);
  at = copy(connection, 0, connection.length, out, at);
  out[at++] = 13;
  out[at++] = 10;
  if (body !== null) out.set(body, at);
  return out;
}

/** The request head to send upstream, followed by `body` (if any), in one buffer. */
export function requestHeadBytes(scan: HeadScan, opts: OutboundRequest, body: Uint8Array | null): Buffer {
  const b = scan.buf;
  const lineFrom = scan.start;
  const lineTo = scan.startLineEnd + 2;
  // The request line was checked to be exactly `METHOD SP target SP HTTP/1.x`: it goes on as it
  // came unless an absolute-form target becomes origin-form [RFC 9112 §3.2.2].
  let target: string | null = null;
  if (b[scan.targetStart] !== SLASH) {
    const t = scan.target();
    const o = originForm(t);
    if (o !== t) target = o;
  }
  const connection = opts.upgrade ? UPGRADE_LINE : scan.minor === 0 ? CLOSE_LINE : NO_LINE;
  const lineBytes = target === null ? lineTo - lineFrom : scan.methodEnd - lineFrom + 1 + target.length + 11;
  // The absolute form's Host, unless the proxy replaces Host anyway (drop) or there is one to rewrite.
  const host = opts.host === undefined || opts.host === null || ((opts.drop ?? 0) >>> HOST) & 1 ? null : opts.host;
  const hostLine = host !== null && !scan.has(HOST) ? `Host: ${host}` : null;
  const fieldBytes = planFields(scan, opts, opts.upgrade, opts.values ?? null, host);
  const size = lineBytes + fieldBytes + appendedBytes(opts.append, hostLine) + connection.length + 2;
  const out = Buffer.allocUnsafe(size + (body === null ? 0 : body.length));
  let at: number;
  if (target === null) {
    at = copy(b, lineFrom, lineTo, out, 0);
  } else {
    at = copy(b, lineFrom, scan.methodEnd, out, 0);
    at += out.write(` ${target} HTTP/1.${scan.minor}\r\n`, at, "latin1");
  }
  at = writeFields(scan, out, at);
  return finish(out, at, hostLine, opts.append, connection, body);
}

/** The response head to send to the client, followed by `body` (if any), in one buffer. */
export function responseHeadBytes(scan: HeadScan, opts: OutboundResponse, body: Uint8Array | null): Buffer {
  const switching = scan.status === 101;
  // Always `HTTP/1.1 <status> <reason>`: the status as a number (a leading zero goes), the reason as it came.
  const status = scan.status >= 100 ? null : String(scan.status);
  const reasonBytes = scan.reasonEnd - scan.reasonStart;
  const connection = switching ? UPGRADE_LINE : !opts.keepAlive ? CLOSE_LINE : opts.clientMinor === 0 ? KEEP_ALIVE_LINE : NO_LINE;
  const lineBytes = 9 + (status === null ? 3 : status.length) + 1 + reasonBytes + 2;
  const size = lineBytes + planFields(scan, opts, switching, null, null) + appendedBytes(opts.append, null) + connection.length + 2;
  const out = Buffer.allocUnsafe(size + (body === null ? 0 : body.length));
  const b = scan.buf;
  let at = copy(HTTP11, 0, HTTP11.length, out, 0);
  if (status === null) at = copy(b, scan.start + 9, scan.start + 12, out, at);
  else at += out.write(status, at, "latin1");
  out[at++] = SP;
  at = copy(b, scan.reasonStart, scan.reasonEnd, out, at);
  out[at++] = 13;
  out[at++] = 10;
  at = writeFields(scan, out, at);
  return finish(out, at, null, opts.append, connection, body);
}
