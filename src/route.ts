// Request head -> upstream target. Pure: the port comes from X-Cmux-Port-Internal or the Host
// subdomain, the host from X-Cmux-Workspace-Internal, the Host subdomain, or --upstream-host.
// Host routing is `<workspace>-<port>.<suffix>` for each --host-suffix; labels before the route
// label are the application's (`tenant.workspace-a-5173.localhost` is workspace-a's port 5173).

import type { ListenAddress } from "./config";
import { fixedAddresses } from "./proxy/connect";
import { HttpError, quoted } from "./http/errors";
import { trimOws, type Fields } from "./http/head-parser";
import { decimal } from "./http/token";
import { addressGroups, isLoopbackPeer } from "./net/cidr";
import { workspaceIp } from "./workspace";

export interface Target {
  host: string;
  port: number;
}

const PORT_HEADER = "x-cmux-port-internal";
const WORKSPACE_HEADER = "x-cmux-workspace-internal";
export const DEFAULT_HOST_SUFFIXES: readonly string[] = ["localhost"];
// The route label `<workspace>-<port>`; the greedy workspace part makes the last `-` split.
const ROUTE_LABEL = /^(.+)-([0-9]+)$/;

/** `[labels.]<workspace>-<port>.<suffix>[.][:port]` -> the route label's parts; the longest suffix wins. */
function hostRoute(host: string, suffixes: readonly string[]): { workspace: string; port: string; suffix: string } | null {
  let name = host;
  const colon = name.lastIndexOf(":");
  if (colon !== -1 && /^[0-9]*$/.test(name.slice(colon + 1))) name = name.slice(0, colon);
  if (name.endsWith(".")) name = name.slice(0, -1);
  let best: string | null = null;
  for (const suffix of suffixes) {
    // Only the suffix is compared case-insensitively: the workspace name is hashed as it came.
    const at = name.length - suffix.length;
    if (at > 1 && name.charCodeAt(at - 1) === 46 && name.slice(at).toLowerCase() === suffix) {
      if (best === null || suffix.length > best.length) best = suffix;
    }
  }
  if (best === null) return null;
  const labels = name.slice(0, name.length - best.length - 1);
  const m = ROUTE_LABEL.exec(labels.slice(labels.lastIndexOf(".") + 1));
  return m === null ? null : { workspace: m[1]!, port: m[2]!, suffix: best };
}

/** Digits with optional spaces or tabs around them: String.trim() would also let NBSP and friends by. */
function parsePort(text: string): number | null {
  const n = decimal(trimOws(text), 5);
  return n >= 1 && n <= 65535 ? n : null;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Heads are decoded one char per byte (latin1); a workspace name is UTF-8 text, which is what the
 * name -> IP rule (and the shim, for directory names) hashes. Bytes that are no UTF-8 are refused:
 * replacing them would hash a name no directory can have.
 */
function utf8Name(latin1: string): string | null {
  let ascii = true;
  for (let i = 0; i < latin1.length && ascii; i++) ascii = latin1.charCodeAt(i) < 0x80;
  if (ascii) return latin1;
  try {
    return UTF8.decode(Buffer.from(latin1, "latin1"));
  } catch {
    return null;
  }
}

/** One value, or an error when repeated headers disagree (two targets for one request). */
function single(f: Fields, lower: string, display: string): string | undefined | HttpError {
  let first: string | undefined;
  for (let i = 0; i < f.lower.length; i++) {
    if (f.lower[i] !== lower) continue;
    const v = f.values[i]!;
    if (first === undefined) first = v;
    else if (trimOws(v) !== trimOws(first)) return new HttpError(400, `conflicting ${display} headers (send one)`);
  }
  return first;
}

/** The port came from X-Cmux-Port-Internal (else from the Host name): what /metrics counts by. */
export function routedByHeader(head: Fields): boolean {
  return head.lower.includes(PORT_HEADER);
}

/** `suffixes` are lowercase, without a leading dot (config.ts's parseHostSuffixes). */
export function route(head: Fields, upstreamHost: string, suffixes: readonly string[] = DEFAULT_HOST_SUFFIXES): Target | HttpError {
  const portHeader = single(head, PORT_HEADER, "X-Cmux-Port-Internal");
  if (portHeader instanceof HttpError) return portHeader;
  const wsHeader = single(head, WORKSPACE_HEADER, "X-Cmux-Workspace-Internal");
  if (wsHeader instanceof HttpError) return wsHeader;

  const hostAt = head.lower.indexOf("host");
  const host = hostAt === -1 ? "" : head.values[hostAt]!;
  // Most Hosts (an IP, a plain name) have no '-' and cannot match: skip the regex for them.
  const hostMatch = host.includes("-") ? hostRoute(host, suffixes) : null;
  let port: number;
  if (portHeader !== undefined) {
    const p = parsePort(portHeader);
    if (p === null) {
      return new HttpError(400, `invalid port in X-Cmux-Port-Internal: ${quoted(portHeader)} (expected 1-65535)`);
    }
    port = p;
  } else if (hostMatch !== null) {
    const p = parsePort(hostMatch.port);
    if (p === null) {
      return new HttpError(400, `invalid port in Host ${quoted(host)} (expected <workspace>-<1-65535>.${hostMatch.suffix})`);
    }
    port = p;
  } else {
    return new HttpError(400, "missing required header: X-Cmux-Port-Internal");
  }

  const rawWorkspace = wsHeader ?? hostMatch?.workspace;
  if (rawWorkspace === undefined) return { host: upstreamHost, port };
  const workspace = utf8Name(rawWorkspace);
  if (workspace === null) return new HttpError(400, `invalid workspace ${quoted(rawWorkspace)}: not UTF-8 text`);
  const ip = workspaceIp(workspace);
  if (!ip.ok) return new HttpError(400, `invalid workspace ${quoted(workspace)}: ${ip.reason}`);
  return { host: ip.ip, port };
}

/** The workspace the request names (header, else Host route), for the error page's forms; null if none. */
export function requestedWorkspace(head: Fields, suffixes: readonly string[] = DEFAULT_HOST_SUFFIXES): string | null {
  const at = head.lower.indexOf(WORKSPACE_HEADER);
  const raw = at !== -1 ? trimOws(head.values[at]!) : hostRoute(head.values[head.lower.indexOf("host")] ?? "", suffixes)?.workspace;
  return raw === undefined ? null : utf8Name(raw);
}

/** One canonical spelling per address (`::ffff:127.0.0.1` is 127.0.0.1, `0:0::1` is ::1), or null. */
function addressKey(host: string): string | null {
  const a = addressGroups(host);
  return a === null ? null : `${a.family}:${a.groups.join(":")}`;
}

/**
 * The addresses a target host stands for: what a connect tries (src/proxy/connect.ts: `localhost`,
 * 127.0.0.1 and ::1 are both loopbacks, each falling back to the other), a name what it resolved to.
 */
function targetAddresses(host: string, resolved: readonly string[]): readonly string[] {
  return fixedAddresses(host) ?? resolved;
}

/**
 * Would this target reach one of the proxy's own listeners? Addresses are compared, not spellings.
 * `0.0.0.0` answers on every local IPv4 address, `::` on every local address of both families (Linux
 * dual-stack). `localAddresses` are the machine's interface addresses; `resolved` what a named
 * upstream host resolved to at start-up.
 */
export function isSelfTarget(
  t: Target,
  listening: ListenAddress[],
  localAddresses: ReadonlySet<string>,
  resolved: readonly string[] = [],
): boolean {
  // The usual request names a port the proxy does not listen on: answer before any allocation.
  let samePort = false;
  for (const l of listening) samePort ||= l.port === t.port;
  if (!samePort) return false;
  const local = new Set<string>();
  for (const a of localAddresses) {
    const k = addressKey(a);
    if (k !== null) local.add(k);
  }
  for (const l of listening) {
    if (l.port !== t.port) continue;
    const listenKey = addressKey(l.host);
    for (const a of targetAddresses(t.host, resolved)) {
      const key = addressKey(a);
      if (key === null) continue;
      if (key === listenKey) return true;
      const v4 = key.startsWith("4:");
      const thisMachine = isLoopbackPeer(a) || local.has(key);
      if (l.host === "0.0.0.0" && v4 && thisMachine) return true;
      if (l.host === "::" && thisMachine) return true;
    }
  }
  return false;
}
