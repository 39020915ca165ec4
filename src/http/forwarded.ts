// What the request head tells the upstream about the hop it came through: X-Forwarded-For (the
// client chain, appended), -Proto, -Host and -Port, and the Host the upstream is given (the
// X-Cmux-Host-Override header, or `localhost:<port>` with --rewrite-host). Pure.
//
// The trust model is Caddy's: values a client sends in X-Forwarded-* are believed only when the
// immediate peer is a trusted proxy (--trusted-proxies); from anyone else they are replaced by this
// hop's own, so a browser cannot claim to be another address or scheme. A trusted peer's
// X-Forwarded-For gets the peer appended; its -Proto, -Host and -Port are kept when present.
//
// The result is an edit for the serializer, "fields to drop" and "lines to add", so the head is
// still written in one pass. The lines are added after the Connection header's list has been
// applied: `Connection: X-Forwarded-For` can remove what a client sent, never what the proxy adds.

import { inAnyCidr, type Cidr } from "../net/cidr";
import { HttpError } from "./errors";
import { trimOws, type Fields } from "./head-parser";
import { idSet, known, type KnownName } from "./head-scan";
import { fieldLines } from "./outbound-head";

export const HOST_OVERRIDE = "x-cmux-host-override";

export interface ForwardedOptions {
  /** Add the X-Forwarded-* headers (false with --no-forwarded-headers). */
  headers: boolean;
  /** Peers whose X-Forwarded-* values are kept (--trusted-proxies). */
  trusted: readonly Cidr[];
  /** Every request's Host becomes `localhost:<target port>` (--rewrite-host). */
  rewriteHost: boolean;
}

/** This hop, as the client's socket sees it. */
export interface Hop {
  /** The client's address (`socket.remoteAddress`). */
  peer: string;
  /** The proxy's port the request arrived on. */
  port: number;
  /** The scheme the client spoke to the proxy. */
  proto: "http" | "https";
}

/**
 * The fields the serializer leaves out (head-scan ids as bits), and whole field lines it appends
 * after the kept ones (encoded, each ending in CRLF): the shape outbound-head.ts's `drop`/`append` take.
 */
export interface HeadEdit {
  drop: number;
  append: Buffer;
}

const XFF = "x-forwarded-for";
const XFP = "x-forwarded-proto";
const XFH = "x-forwarded-host";
const XFPORT = "x-forwarded-port";

function bit(name: KnownName): number {
  return 1 << known(name);
}

const NO_EDIT: HeadEdit = { drop: 0, append: Buffer.alloc(0) };
const DROP_HOST = idSet(["host"]);
const DROP_FORWARDED = idSet([XFF, XFP, XFH, XFPORT]);

// `host`, `1.2.3.4`, `[::1]`, each with an optional `:port`: what a Host field may hold [RFC 9110 §7.2].
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+;=%-]+)(?::([0-9]{1,5}))?$/;

/** The override's single value, null when absent, or an error (malformed, or repeats that differ). */
function hostOverride(head: Fields): string | null | HttpError {
  let value: string | null = null;
  for (let i = 0; i < head.lower.length; i++) {
    if (head.lower[i] !== HOST_OVERRIDE) continue;
    const v = trimOws(head.values[i]!);
    if (value !== null && v !== value) return new HttpError(400, "conflicting X-Cmux-Host-Override headers (send one)");
    value = v;
  }
  if (value === null) return null;
  const m = HOST_VALUE.exec(value);
  const port = m?.[1] === undefined ? 1 : Number(m[1]);
  if (m === null || port < 1 || port > 65535) {
    return new HttpError(400, `invalid X-Cmux-Host-Override: ${JSON.stringify(value)} (expected host[:port], e.g. localhost:5173)`);
  }
  return value;
}

/** The values of a field that survive the Connection list, joined as one list; null if none. */
function kept(head: Fields, lower: string, connection: readonly string[]): string | null {
  if (connection.includes(lower)) return null;
  let out: string | null = null;
  for (let i = 0; i < head.lower.length; i++) {
    if (head.lower[i] !== lower) continue;
    const v = trimOws(head.values[i]!);
    if (v === "") continue;
    out = out === null ? v : out + ", " + v;
  }
  return out;
}

/** A v4-mapped peer (what a dual-stack listener reports for IPv4) is written as the IPv4 address. */
function clientAddress(peer: string): string {
  if (peer.charCodeAt(0) !== 58 || peer.length <= 7) return peer; // IPv4 peers (the usual case) start with a digit
  return peer.slice(0, 7).toLowerCase() === "::ffff:" && peer.includes(".") ? peer.slice(7) : peer;
}

/**
 * The last untrusted peer's edit, reused while the facts are the same: a keep-alive client sends
 * request after request with the same peer, port and Host, and the hot path then allocates nothing.
 */
let memo: { client: string; port: number; proto: string; host: string; newHost: string | null; edit: HeadEdit } | null = null;

function untrustedEdit(client: string, hop: Hop, originalHost: string, newHost: string | null): HeadEdit {
  const m = memo;
  if (m !== null && m.client === client && m.port === hop.port && m.proto === hop.proto && m.host === originalHost && m.newHost === newHost) return m.edit;
  const append = newHost === null ? [] : [`Host: ${newHost}`];
  append.push(`X-Forwarded-For: ${client}`, `X-Forwarded-Proto: ${hop.proto}`);
  if (originalHost !== "") append.push(`X-Forwarded-Host: ${originalHost}`);
  append.push(`X-Forwarded-Port: ${hop.port}`);
  const edit = { drop: newHost === null ? DROP_FORWARDED : DROP_FORWARDED | DROP_HOST, append: fieldLines(append) };
  memo = { client, port: hop.port, proto: hop.proto, host: originalHost, newHost, edit };
  return edit;
}

/** The edit for one request to `targetPort`, or a 400 for a bad X-Cmux-Host-Override. */
export function forwardedEdit(
  head: Fields,
  connection: readonly string[],
  targetPort: number,
  hop: Hop,
  opts: ForwardedOptions,
): HeadEdit | HttpError {
  const override = hostOverride(head);
  if (override instanceof HttpError) return override;
  const newHost = override ?? (opts.rewriteHost ? `localhost:${targetPort}` : null);
  const hostAt = head.lower.indexOf("host");
  const originalHost = hostAt === -1 ? "" : trimOws(head.values[hostAt]!);
  if (!opts.headers) return newHost === null ? NO_EDIT : { drop: DROP_HOST, append: fieldLines([`Host: ${newHost}`]) };

  const client = clientAddress(hop.peer);
  if (opts.trusted.length === 0 || !inAnyCidr(opts.trusted, hop.peer)) return untrustedEdit(client, hop, originalHost, newHost);

  const append = newHost === null ? [] : [`Host: ${newHost}`];
  const xfh = originalHost === "" ? null : `X-Forwarded-Host: ${originalHost}`;

  let drop = bit(XFF);
  if (newHost !== null) drop |= DROP_HOST;
  const chain = kept(head, XFF, connection);
  append.push(`X-Forwarded-For: ${chain === null ? client : chain + ", " + client}`);
  // Each kept field stays where the client put it; a missing (or empty) one is this hop's.
  const own: [KnownName, string | null][] = [
    [XFP, `X-Forwarded-Proto: ${hop.proto}`],
    [XFH, xfh],
    [XFPORT, `X-Forwarded-Port: ${hop.port}`],
  ];
  for (const [lower, line] of own) {
    if (kept(head, lower, connection) !== null) continue;
    drop |= bit(lower);
    if (line !== null) append.push(line);
  }
  return { drop, append: fieldLines(append) };
}
