// Listen addresses and the proxy's settings. Pure: parsing, validation, dedupe and defaults only.

import { isIP } from "node:net";
import type { AdminConfig } from "./admin/config";
import type { ForwardedOptions } from "./http/forwarded";
import { decimal } from "./http/token";
import type { Policy } from "./policy";

export interface ListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

export interface Limits {
  maxHeadBytes: number;
  maxHeaders: number;
  /** Seconds a client has to send a complete request head once it has started one. */
  headTimeout: number;
  /** Seconds an idle keep-alive client connection is kept. */
  idleTimeout: number;
  /** Seconds to establish an upstream connection. */
  connectTimeout: number;
  /** Seconds from the request being sent to the upstream's first response byte. */
  upstreamTimeout: number;
  /** Seconds in-flight exchanges get to finish on SIGINT/SIGTERM. */
  shutdownTimeout: number;
  /** Seconds of silence before TCP keep-alive probes on client and upstream sockets. */
  tcpKeepAlive: number;
}

export interface Config {
  listen: ListenAddress[];
  upstreamHost: string;
  /** What a named upstream host resolved to at start-up: the loop guard compares addresses. */
  upstreamAddresses?: string[];
  limits: Limits;
  /** Share the listen addresses with sibling workers (--workers). */
  reusePort?: boolean;
  /** X-Forwarded-* and Host rewriting (--trusted-proxies, --rewrite-host, --no-forwarded-headers); DEFAULT_FORWARDED if absent. */
  forwarded?: ForwardedOptions;
  /** Host routing suffixes, lowercase, no leading dot (--host-suffix); `localhost` if absent. */
  hostSuffixes?: readonly string[];
  /** Who may reach what (src/policy.ts); absent or null: everyone, everything. */
  policy?: Policy | null;
  /** The admin Host (src/admin/config.ts); omitted: cmux.localhost for loopback peers. */
  admin?: AdminConfig;
  /** --access-log: one line per finished exchange on stdout, as text or JSON; omitted: off. */
  accessLog?: "text" | "json";
}

export const DEFAULT_LISTEN = "0.0.0.0:8080,127.0.0.1:8080";

export const DEFAULT_LIMITS: Limits = {
  maxHeadBytes: 64 * 1024,
  maxHeaders: 256,
  headTimeout: 30,
  idleTimeout: 60,
  connectTimeout: 5,
  upstreamTimeout: 120,
  shutdownTimeout: 10,
  tcpKeepAlive: 60,
};

export const DEFAULT_FORWARDED: ForwardedOptions = { headers: true, trusted: [], rewriteHost: false };

export function formatAddress(a: { host: string; port: number; family: 4 | 6 }): string {
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** `1.2.3.4:80`, `[::1]:80`, `localhost:80` or a bare port (all IPv4 interfaces). */
export function parseListenAddress(text: string): ListenAddress | string {
  const s = text.trim();
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]*)\]:([^:]*)$/.exec(s);
  if (v6 !== null) {
    host = v6[1]!;
    portText = v6[2]!;
    if (isIP(host) !== 6) return `invalid listen address "${s}": "${host}" is not an IPv6 address`;
  } else if (/^[0-9]+$/.test(s)) {
    host = "0.0.0.0";
    portText = s;
  } else {
    const colon = s.lastIndexOf(":");
    if (colon === -1) return `invalid listen address "${s}" (expected HOST:PORT, [IPV6]:PORT or PORT)`;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":")) return `invalid listen address "${s}": write IPv6 addresses as [ADDR]:PORT`;
    if (isIP(host) === 0 && host !== "localhost") {
      return `invalid listen address "${s}": "${host}" is not an IPv4 address`;
    }
  }
  const port = decimal(portText, 5);
  if (port === -1 || port > 65535) {
    return `invalid listen address "${s}": port "${portText}" is not 0-65535`;
  }
  if (host === "localhost") host = "127.0.0.1";
  return { host, port, family: isIP(host) === 6 ? 6 : 4 };
}

function isWildcard(a: ListenAddress): boolean {
  return a.host === "0.0.0.0" || a.host === "::";
}

/**
 * Drops exact duplicates and addresses a wildcard on the same port and family already covers, so the
 * default `0.0.0.0:8080,127.0.0.1:8080` binds once. Port 0 (ephemeral) entries are all distinct.
 */
export function dedupeListen(addrs: ListenAddress[]): ListenAddress[] {
  const out: ListenAddress[] = [];
  for (const a of addrs) {
    if (a.port !== 0) {
      const covered = addrs.some((w) => w.port === a.port && w.family === a.family && isWildcard(w) && !isWildcard(a));
      if (covered) continue;
      if (out.some((o) => o.port === a.port && o.host === a.host)) continue;
    }
    out.push(a);
  }
  return out;
}

/** Every --listen value may hold a comma-separated list. */
export function parseListenList(values: string[]): ListenAddress[] | string {
  const addrs: ListenAddress[] = [];
  for (const v of values) {
    for (const part of v.split(",")) {
      if (part.trim() === "") continue;
      const a = parseListenAddress(part);
      if (typeof a === "string") return a;
      addrs.push(a);
    }
  }
  if (addrs.length === 0) return "no listen address given";
  return dedupeListen(addrs);
}

/**
 * The dotted quad that the C resolver would read a numeric spelling as (`127.1`, `2130706433`,
 * `0x7f.0.0.1`, `0177.0.0.1`: inet_aton's one to four parts, each decimal, octal or hex), or null.
 */
export function numericIpv4(host: string): string | null {
  const parts = host.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const p of parts) {
    if (/^0x[0-9a-f]+$/i.test(p)) values.push(parseInt(p.slice(2), 16));
    else if (/^0[0-7]*$/.test(p)) values.push(parseInt(p, 8));
    else if (/^[1-9][0-9]*$/.test(p)) values.push(Number(p));
    else return null;
  }
  // The last part fills the bytes the earlier ones leave: a.b.c.d, a.b.(16 bits), a.(24 bits), (32 bits).
  const lastBytes = 5 - values.length;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const bytes = i === values.length - 1 ? lastBytes : 1;
    if (v >= 2 ** (8 * bytes)) return null;
    n = n * 2 ** (8 * bytes) + v;
  }
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * The upstream host is compared with the listen addresses to refuse loops into the proxy itself, so
 * it must have one spelling: other spellings of an address and the wildcards are refused at start-up
 * with the spelling to use. Returns the error line, or null.
 */
export function checkUpstreamHost(host: string): string | null {
  const bad = (why: string) => `invalid --upstream-host "${host}": ${why}`;
  if (host === "0.0.0.0" || host === "::") {
    return bad(`${host} is a wildcard for listening; to reach this machine write ${host === "::" ? "::1" : "127.0.0.1"}`);
  }
  if (isIP(host) !== 0) return null;
  const quad = numericIpv4(host);
  if (quad !== null) return bad(`write the address as ${quad}`);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host)) return bad("expected an IP or a host name");
  return null;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** --host-suffix values (repeatable, each may be comma-separated): `localhost`, `.dev.example.com`. */
export function parseHostSuffixes(values: readonly string[]): string[] | string {
  const out: string[] = [];
  for (const v of values) {
    for (const part of v.split(",")) {
      const raw = part.trim();
      if (raw === "") continue;
      const suffix = raw.toLowerCase().replace(/^\./, "").replace(/\.$/, "");
      if (suffix === "" || !suffix.split(".").every((l) => DNS_LABEL.test(l))) {
        return `invalid host suffix "${raw}" (expected a domain such as localhost or dev.example.com)`;
      }
      if (!out.includes(suffix)) out.push(suffix);
    }
  }
  if (out.length === 0) return "no host suffix given";
  return out;
}
