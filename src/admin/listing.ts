// The listening sockets grouped the way a user asks about them: per workspace (127.18.a.b back to
// its name), the default upstream's addresses, and anything else. Pure: the readers in snapshot.ts
// supply the kernel's tables; this decides groups, order, links and the headers that reach each one.
// The shape is /api/listeners' JSON (documented in the README, "The admin page").

import type { Listener } from "../net/listeners";
import { fixedAddresses } from "../proxy/connect";
import { linkName, workspaceName } from "../workspace-names";

export interface ListingEntry {
  family: 4 | 6;
  address: string;
  port: number;
  /** The owning process, null when it could not be found (see `errors`). */
  pid: number | null;
  command: string | null;
  /** A link through the proxy, null when no Host name routes there. */
  url: string | null;
  /** The request headers that route to it, null when the proxy cannot reach it. */
  headers: Record<string, string> | null;
  /** One of the proxy's own listen addresses. */
  proxy: boolean;
}

export interface ListingGroup {
  kind: "workspace" | "default" | "other";
  /** The workspace name, or a description for the other kinds. */
  name: string;
  /** The workspace IP; null for the other kinds. */
  ip: string | null;
  /** For workspaces: a `workspace-*` directory found under a root, or the IP's number. */
  source: "directory" | "number" | null;
  /** Other directory names with the same IP (a hash collision). */
  aliases: string[];
  listeners: ListingEntry[];
}

export interface Listing {
  version: 1;
  generatedAt: string;
  groups: ListingGroup[];
  /** What could not be read (permissions, missing files), one line each. */
  errors: string[];
}

export interface ListingInput {
  listeners: readonly Listener[];
  owners: ReadonlyMap<number, { pid: number; command: string }>;
  /** Workspace IP -> `workspace-*` directory names (indexWorkspaceNames). */
  names: ReadonlyMap<string, readonly string[]>;
  errors: readonly string[];
  /** The proxy's own bound addresses, to mark them. */
  listening: readonly { host: string; port: number }[];
  /** `:8080`, or "" when the admin request came to port 80: the port part of every link. */
  linkPort: string;
  /** --upstream-host: which of the default addresses a port header alone reaches. */
  upstreamHost: string;
  now: Date;
}

/** The addresses a server of the default upstream (`--upstream-host`, 127.0.0.1) listens on. */
const DEFAULT_ADDRESSES = new Set(["127.0.0.1", "0.0.0.0", "::1", "::"]);

/**
 * Does a connect to the upstream host reach a server listening on `address`? The loopback hosts try
 * both families (src/proxy/connect.ts); a wildcard listener answers on every local address (`::`
 * dual-stack). Any other upstream host reaches none of the default addresses as such.
 */
function reaches(upstreamHost: string, address: string): boolean {
  const tried = fixedAddresses(upstreamHost) ?? [];
  if (tried.includes(address)) return true;
  if (address === "0.0.0.0") return tried.includes("127.0.0.1");
  if (address === "::") return tried.includes("127.0.0.1") || tried.includes("::1");
  return false;
}

function byPortThenAddress(a: ListingEntry, b: ListingEntry): number {
  return a.port - b.port || a.family - b.family || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
}

/** The port part for links, from the admin request's Host: `cmux.localhost:8080` -> `:8080`. */
export function linkPortOf(host: string): string {
  const m = /:([0-9]{1,5})$/.exec(host.trim());
  return m === null || m[1] === "80" ? "" : `:${m[1]}`;
}

export function buildListing(input: ListingInput): Listing {
  const workspaces = new Map<string, ListingGroup>();
  const defaults: ListingEntry[] = [];
  const others: ListingEntry[] = [];
  // SO_REUSEPORT servers (and --workers) hold several sockets on one address: show each once per process.
  const seen = new Set<string>();
  for (const l of input.listeners) {
    const owner = input.owners.get(l.inode);
    const key = `${l.address} ${l.port} ${owner?.pid ?? `inode ${l.inode}`}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry: ListingEntry = {
      family: l.family,
      address: l.address,
      port: l.port,
      pid: owner?.pid ?? null,
      command: owner?.command ?? null,
      url: null,
      headers: null,
      proxy: input.listening.some((p) => p.port === l.port && p.host === l.address),
    };
    const ws = workspaceName(l.address, input.names);
    if (ws !== null) {
      let group = workspaces.get(l.address);
      if (group === undefined) {
        group = { kind: "workspace", name: ws.name, ip: l.address, source: ws.source, aliases: ws.aliases, listeners: [] };
        workspaces.set(l.address, group);
      }
      entry.url = `http://${linkName(l.address, ws.name)}-${l.port}.localhost${input.linkPort}/`;
      entry.headers = { "X-Cmux-Workspace-Internal": ws.name, "X-Cmux-Port-Internal": String(l.port) };
      group.listeners.push(entry);
    } else if (DEFAULT_ADDRESSES.has(l.address)) {
      // Host routing always names a workspace: the default upstream is reached by the port header.
      if (reaches(input.upstreamHost, l.address)) entry.headers = { "X-Cmux-Port-Internal": String(l.port) };
      defaults.push(entry);
    } else {
      others.push(entry);
    }
  }
  const groups = [...workspaces.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const g of groups) g.listeners.sort(byPortThenAddress);
  const plain = (kind: "default" | "other", name: string, listeners: ListingEntry[]): ListingGroup => ({
    kind,
    name,
    ip: null,
    source: null,
    aliases: [],
    listeners: listeners.sort(byPortThenAddress),
  });
  groups.push(plain("default", "default upstream (127.0.0.1, 0.0.0.0, ::1, ::)", defaults));
  if (others.length > 0) groups.push(plain("other", "other addresses", others));
  return { version: 1, generatedAt: input.now.toISOString(), groups, errors: [...input.errors] };
}
