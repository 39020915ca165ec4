// Workspace IP -> workspace name, the reverse of src/workspace.ts. Pure. A hash cannot be undone, so
// hashed names are found by hashing the names that could have produced the IP: the `workspace-*`
// directory names under the workspace roots (what the shim detects a workspace by). Every IP in
// 127.18.0.1-127.18.255.255 also has the numeric name `workspace-N` (N = a*256+b), which routes to
// the same IP, so a workspace whose directory is not found still gets a working name.

import { workspaceIp } from "./workspace";

/** The prefix the shim looks for in the directory names of the current path (case-sensitive). */
export const WORKSPACE_DIR_PREFIX = "workspace-";

export interface WorkspaceName {
  /** The name to show and to put in links. */
  name: string;
  /** Where the name came from: a directory found under a root, or the IP's number. */
  source: "directory" | "number";
  /** Other directory names that map to the same IP (a hash collision), sorted. */
  aliases: string[];
}

/** `127.18.a.b` -> a*256+b (1-65535), or null for any other address. */
export function workspaceNumber(ip: string): number | null {
  const m = /^127\.18\.([0-9]{1,3})\.([0-9]{1,3})$/.exec(ip);
  if (m === null) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a > 255 || b > 255 || (a === 0 && b === 0)) return null;
  // Leading zeros ("127.18.01.2") are not how the kernel or the proxy writes an address.
  if (String(a) !== m[1] || String(b) !== m[2]) return null;
  return a * 256 + b;
}

/** IP -> the directory names that map to it (sorted), for names starting with `workspace-`. */
export function indexWorkspaceNames(dirNames: Iterable<string>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const name of dirNames) {
    if (!name.startsWith(WORKSPACE_DIR_PREFIX)) continue;
    const ip = workspaceIp(name);
    if (!ip.ok) continue;
    const names = index.get(ip.ip);
    if (names === undefined) index.set(ip.ip, [name]);
    else if (!names.includes(name)) names.push(name);
  }
  for (const names of index.values()) names.sort();
  return index;
}

/** The workspace an IP belongs to, or null when it is not a workspace IP. */
export function workspaceName(ip: string, index: ReadonlyMap<string, readonly string[]>): WorkspaceName | null {
  const n = workspaceNumber(ip);
  if (n === null) return null;
  const names = index.get(ip);
  if (names !== undefined && names.length > 0) return { name: names[0]!, source: "directory", aliases: names.slice(1) };
  return { name: `workspace-${n}`, source: "number", aliases: [] };
}

/**
 * The name to use in a `<name>-<port>.localhost` link: the name itself when it is a valid host label
 * that routes back to the same IP (route.ts splits at the last `-`, before the port), else the
 * numeric name, which always does.
 */
export function linkName(ip: string, name: string): string | null {
  const n = workspaceNumber(ip);
  if (n === null) return null;
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,55}[A-Za-z0-9])?$/.test(name);
  const routed = workspaceIp(name.toLowerCase());
  return label && routed.ok && routed.ip === ip ? name.toLowerCase() : `workspace-${n}`;
}
