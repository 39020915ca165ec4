// Address ranges (CIDRs) for the flags that say which peers are trusted or allowed, and the match of
// a peer address against them. Pure. A v4-mapped IPv6 peer (`::ffff:1.2.3.4`, what a dual-stack
// listener reports for an IPv4 client) is matched as the IPv4 address it carries.

import { isIP } from "node:net";

export interface Cidr {
  family: 4 | 6;
  /** The address as 16-bit groups (IPv4: two groups), masked to the prefix. */
  groups: number[];
  prefix: number;
  text: string;
}

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

function v4Groups(ip: string): number[] {
  const p = ip.split(".").map(Number);
  return [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!];
}

function v6Groups(ip: string): number[] {
  let text = ip;
  // A trailing dotted quad (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) is two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (quad !== null) {
    tail = v4Groups(quad[1]!);
    text = text.slice(0, quad.index) + "0:0";
  }
  const [left, right] = text.includes("::") ? text.split("::") : [text, undefined];
  const l = left === "" ? [] : left!.split(":").map((g) => parseInt(g, 16));
  const r = right === undefined ? [] : right === "" ? [] : right.split(":").map((g) => parseInt(g, 16));
  const groups = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  if (tail.length > 0) groups.splice(6, 2, ...tail);
  return groups;
}

/** The address's family and 16-bit groups, v4-mapped IPv6 folded to IPv4; null if not an IP. */
export function addressGroups(address: string): { family: 4 | 6; groups: number[] } | null {
  const mapped = V4_MAPPED.exec(address);
  if (mapped !== null) return { family: 4, groups: v4Groups(mapped[1]!) };
  const fam = isIP(address);
  if (fam === 4) return { family: 4, groups: v4Groups(address) };
  if (fam === 6) return { family: 6, groups: v6Groups(address) };
  return null;
}

function mask(groups: number[], prefix: number): number[] {
  return groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/** `10.0.0.0/8`, `::1/128`, or a bare address (a single host). */
export function parseCidr(text: string): Cidr | string {
  const t = text.trim();
  const slash = t.indexOf("/");
  const addr = slash === -1 ? t : t.slice(0, slash);
  const a = addressGroups(addr);
  if (a === null) return `invalid address range "${t}": "${addr}" is not an IP address (expected e.g. 10.0.0.0/8 or ::1/128)`;
  const max = a.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = t.slice(slash + 1);
    prefix = /^[0-9]{1,3}$/.test(p) ? Number(p) : -1;
    if (prefix < 0 || prefix > max) return `invalid address range "${t}": prefix "/${p}" is not 0-${max}`;
  }
  return { family: a.family, groups: mask(a.groups, prefix), prefix, text: t };
}

/** A comma-separated list (empty items skipped), or the first error. */
export function parseCidrList(text: string): Cidr[] | string {
  const out: Cidr[] = [];
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const c = parseCidr(part);
    if (typeof c === "string") return c;
    out.push(c);
  }
  return out;
}

export function cidrContains(c: Cidr, address: string): boolean {
  const a = addressGroups(address);
  if (a === null || a.family !== c.family) return false;
  const m = mask(a.groups, c.prefix);
  for (let i = 0; i < m.length; i++) if (m[i] !== c.groups[i]) return false;
  return true;
}

export function inAnyCidr(list: readonly Cidr[], address: string): boolean {
  for (const c of list) if (cidrContains(c, address)) return true;
  return false;
}

/** 127.0.0.0/8 and ::1, the peers that are this machine (v4-mapped included). */
export const LOOPBACK: readonly Cidr[] = [parseCidr("127.0.0.0/8") as Cidr, parseCidr("::1/128") as Cidr];

export function isLoopbackPeer(address: string): boolean {
  return inAnyCidr(LOOPBACK, address);
}
