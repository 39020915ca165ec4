// One access-log line per finished exchange (--access-log), as text or as JSON (--log-json). Pure:
// the connection fills a record when an exchange ends, or when an upgrade or tunnel closes, and
// only then is anything formatted, so the log costs nothing while it is off.

import type { ROUTE_NAMES } from "./metrics";

export type ExchangeKind = "http" | "upgrade" | "tunnel";
export type RouteName = (typeof ROUTE_NAMES)[number];

export interface AccessRecord {
  /** When the exchange ended (epoch ms). */
  end: number;
  client: string;
  method: string;
  /** The request target as received (CONNECT: its authority). */
  path: string;
  kind: ExchangeKind;
  /** How the target was chosen; `none` when the request got no route (parse or routing error). */
  route: RouteName;
  /** The workspace the request named (header or Host), null for the default upstream. */
  workspace: string | null;
  /** `ip:port` of the upstream, null when none was chosen. */
  upstream: string | null;
  /** The status sent to the client, 0 when none was (the connection was cut). */
  status: number;
  /** Bytes received from the client and sent to it for this exchange (tunnels: their lifetime). */
  bytesIn: number;
  bytesOut: number;
  /** From the request head's arrival to the end (tunnels and upgrades: their lifetime). */
  durationMs: number;
  /** Time to connect upstream, null when a pooled connection was reused or there was no upstream. */
  connectMs: number | null;
}

function ms(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Bytes outside printable ASCII, and the quote and backslash, as \xHH: one record stays one line. */
function quoted(s: string): string {
  return `"${s.replace(/[^\x20-\x7e]|["\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}"`;
}

/** Printable ASCII without space, quote or backslash: written as it is. */
const PLAIN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function field(s: string | null): string {
  return s === null ? "-" : PLAIN.test(s) ? s : quoted(s);
}

/**
 * `2026-12-01T22:00:00.123Z 127.0.0.1 "GET /api" 200 http route=host workspace=workspace-a
 * upstream=127.18.176.32:3000 in=312 out=1048 ms=2.417 connect_ms=0.311`
 */
export function formatAccessText(r: AccessRecord): string {
  return (
    `${new Date(r.end).toISOString()} ${field(r.client)} ${quoted(`${r.method} ${r.path}`)} ${r.status} ${r.kind}` +
    ` route=${r.route} workspace=${field(r.workspace)} upstream=${field(r.upstream)}` +
    ` in=${r.bytesIn} out=${r.bytesOut} ms=${ms(r.durationMs)} connect_ms=${r.connectMs === null ? "-" : ms(r.connectMs)}`
  );
}

export function formatAccessJson(r: AccessRecord): string {
  return JSON.stringify({
    time: new Date(r.end).toISOString(),
    client: r.client,
    method: r.method,
    path: r.path,
    kind: r.kind,
    route: r.route,
    workspace: r.workspace,
    upstream: r.upstream,
    status: r.status,
    bytes_in: r.bytesIn,
    bytes_out: r.bytesOut,
    duration_ms: ms(r.durationMs),
    connect_ms: r.connectMs === null ? null : ms(r.connectMs),
  });
}
