// Who may reach what through the proxy. Pure: applied to every routed request (header, Host,
// CONNECT, upgrade) right after route() and before any upstream connect, so a refused request never
// touches the upstream.
//
// The order of the checks is part of the contract: the token first (a client without it learns
// nothing about the port policy, not even whether a port is allowed), then --workspace-only, then the
// ports. A `?cmux_token=` parameter is answered by the proxy whoever sends it, so it never travels on.
// With no flag set there is no Policy at all (null) and the proxy does none of this.

import { formatAddress, type ListenAddress } from "./config";
import { QUERY_PARAM, queryToken, setCookieValue } from "./auth/browser";
import { presentedTokens, tokenDigest, tokenMatches, tokenProblem, type TokenSource } from "./auth/token";
import { HttpError } from "./http/errors";
import type { RequestHead } from "./http/head-parser";
import { decimal } from "./http/token";
import { isLoopbackPeer } from "./net/cidr";

export interface PortRange {
  from: number;
  to: number;
}

export interface Policy {
  /** null: every port not denied. */
  allow: readonly PortRange[] | null;
  deny: readonly PortRange[];
  workspaceOnly: boolean;
  /** SHA-256 of --auth-token; the token itself is not kept. */
  token: Buffer | null;
  /** Loopback peers need the token too. */
  authLoopback: boolean;
}

function portOf(text: string): number {
  const n = decimal(text.trim(), 5);
  return n >= 1 && n <= 65535 ? n : -1;
}

/** `3000-9999,5432`: ports and inclusive ranges, comma-separated, spaces allowed around items. */
export function parsePortList(text: string, flag: string): PortRange[] | string {
  const out: PortRange[] = [];
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const dash = item.indexOf("-");
    const from = portOf(dash === -1 ? item : item.slice(0, dash));
    const to = dash === -1 ? from : portOf(item.slice(dash + 1));
    if (from === -1 || to === -1) {
      return `invalid ${flag} item "${item.trim()}" (expected a port 1-65535 or a range such as 3000-9999)`;
    }
    if (from > to) return `invalid ${flag} range "${item.trim()}" (the first port must not be above the second)`;
    out.push({ from, to });
  }
  if (out.length === 0) return `${flag} is empty (expected ports or ranges such as 3000-9999,5432)`;
  return out;
}

function inPortList(list: readonly PortRange[], port: number): boolean {
  for (const r of list) if (port >= r.from && port <= r.to) return true;
  return false;
}

// ---- settings ---------------------------------------------------------------------------------

export interface PolicyFlags {
  allowPorts?: string;
  denyPorts?: string;
  authToken?: string;
  authTokenFile?: string;
  workspaceOnly?: boolean;
  authLoopback?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A flag's value, else its environment variable's (an empty variable counts as unset). */
function setting(flag: string | undefined, env: Env, name: string): string | undefined {
  return flag ?? (env[name] || undefined);
}

function readToken(flags: PolicyFlags, env: Env, readFile: (path: string) => string): string | null | { error: string } {
  // A flag beats both variables; two sources of the same rank are ambiguous.
  let value: string | undefined;
  let file: string | undefined;
  if (flags.authToken !== undefined || flags.authTokenFile !== undefined) {
    if (flags.authToken !== undefined && flags.authTokenFile !== undefined) return { error: "give --auth-token or --auth-token-file, not both" };
    value = flags.authToken;
    file = flags.authTokenFile;
  } else {
    value = env.CMUX_AUTH_TOKEN || undefined;
    file = env.CMUX_AUTH_TOKEN_FILE || undefined;
    if (value !== undefined && file !== undefined) return { error: "set CMUX_AUTH_TOKEN or CMUX_AUTH_TOKEN_FILE, not both" };
  }
  if (file !== undefined) {
    const source = flags.authTokenFile !== undefined ? "--auth-token-file" : "CMUX_AUTH_TOKEN_FILE";
    try {
      // Files written by `echo` or an editor end with a newline that is not part of the token.
      value = readFile(file).trim();
    } catch (e) {
      const err = e as { code?: string; message?: string };
      return { error: `cannot read ${source} "${file}": ${err.code ?? err.message ?? String(e)}` };
    }
    const problem = tokenProblem(value, `token in ${source} "${file}"`);
    return problem === null ? value : { error: problem };
  }
  if (value === undefined) return null;
  const problem = tokenProblem(value, flags.authToken !== undefined ? "--auth-token" : "CMUX_AUTH_TOKEN");
  return problem === null ? value : { error: problem };
}

/**
 * The policy from the flags, falling back to CMUX_ALLOW_PORTS, CMUX_DENY_PORTS, CMUX_AUTH_TOKEN,
 * CMUX_AUTH_TOKEN_FILE, CMUX_WORKSPACE_ONLY=1 and CMUX_AUTH_LOOPBACK=1. null when nothing is set;
 * a string is the one-line error.
 */
export function parsePolicy(flags: PolicyFlags, env: Env, readFile: (path: string) => string): Policy | null | string {
  let allow: PortRange[] | null = null;
  const allowText = setting(flags.allowPorts, env, "CMUX_ALLOW_PORTS");
  if (allowText !== undefined) {
    const r = parsePortList(allowText, flags.allowPorts !== undefined ? "--allow-ports" : "CMUX_ALLOW_PORTS");
    if (typeof r === "string") return r;
    allow = r;
  }
  let deny: PortRange[] = [];
  const denyText = setting(flags.denyPorts, env, "CMUX_DENY_PORTS");
  if (denyText !== undefined) {
    const r = parsePortList(denyText, flags.denyPorts !== undefined ? "--deny-ports" : "CMUX_DENY_PORTS");
    if (typeof r === "string") return r;
    deny = r;
  }
  const token = readToken(flags, env, readFile);
  if (token !== null && typeof token === "object") return token.error;
  const workspaceOnly = flags.workspaceOnly === true || env.CMUX_WORKSPACE_ONLY === "1";
  const authLoopback = flags.authLoopback === true || env.CMUX_AUTH_LOOPBACK === "1";
  if (authLoopback && token === null) return "--auth-loopback needs a token (--auth-token, --auth-token-file or CMUX_AUTH_TOKEN)";
  if (allow === null && deny.length === 0 && !workspaceOnly && token === null) return null;
  return { allow, deny, workspaceOnly, token: token === null ? null : tokenDigest(token), authLoopback };
}

// ---- the decision -----------------------------------------------------------------------------

/** A plain request (routed by header or Host), an upgrade (WebSocket), or a CONNECT tunnel. */
export type RouteKind = "request" | "upgrade" | "connect";

export interface AccessRequest {
  port: number;
  /** The request named a workspace (header or Host), so the target is not --upstream-host. */
  workspace: boolean;
  kind: RouteKind;
  /** The client's address as the socket reports it (v4-mapped IPv6 included). */
  peer: string;
}

/** A good `?cmux_token=`: set the cookie and send the browser to the URL without the parameter. */
export class TokenRedirect {
  constructor(
    readonly location: string,
    readonly setCookie: string,
  ) {}
}

const MISSING_401 = `missing token: send X-Cmux-Token: <token>, or open the URL once with ?cmux_token=<token> in a browser`;
const MISSING_407 = "proxy authentication required: send Proxy-Authorization: Bearer <token>";

function wrongToken(kind: RouteKind, sources: readonly TokenSource[]): HttpError {
  const where = [...new Set(sources)].join(" and ");
  return kind === "connect"
    ? new HttpError(407, `wrong token in ${where} (send Proxy-Authorization: Bearer <the proxy's token>)`)
    : new HttpError(401, `wrong token in ${where} (send the proxy's token)`);
}

function checkToken(expected: Buffer, head: RequestHead, kind: RouteKind): HttpError | null {
  const presented = presentedTokens(head);
  if (presented.length === 0) return kind === "connect" ? new HttpError(407, MISSING_407) : new HttpError(401, MISSING_401);
  // Every candidate is compared, so the time taken does not say which one (if any) matched.
  let ok = false;
  for (const p of presented) if (tokenMatches(expected, p.value)) ok = true;
  return ok ? null : wrongToken(kind, presented.map((p) => p.source));
}

function checkQuery(expected: Buffer, head: RequestHead, kind: RouteKind): TokenRedirect | HttpError | null {
  if (kind === "connect") return null;
  const q = queryToken(head.target);
  if (q === null) return null;
  if (kind !== "request" || (head.method !== "GET" && head.method !== "HEAD")) {
    return new HttpError(400, `?${QUERY_PARAM}= works only on GET and HEAD requests (send the X-Cmux-Token header instead)`);
  }
  let good: string | null = null;
  for (const v of q.values) if (tokenMatches(expected, v)) good = v;
  if (good === null) return new HttpError(401, `wrong token in ?${QUERY_PARAM}= (open the URL with the proxy's token)`);
  // `//evil.example/` and `/\evil.example/` are read by browsers as another host: stay on this one.
  const location = q.rest === "" ? "/" : /^[/\\]{2}/.test(q.rest) ? "/" + q.rest.replace(/^[/\\]+/, "") : q.rest;
  return new TokenRedirect(location, setCookieValue(good));
}

/** null: forward it. An HttpError: answer it and contact no upstream. A TokenRedirect: answer that. */
export function checkAccess(p: Policy, head: RequestHead, req: AccessRequest): HttpError | TokenRedirect | null {
  if (p.token !== null) {
    const q = checkQuery(p.token, head, req.kind);
    if (q !== null) return q;
    if (p.authLoopback || !isLoopbackPeer(req.peer)) {
      const t = checkToken(p.token, head, req.kind);
      if (t !== null) return t;
    }
  }
  if (p.workspaceOnly && !req.workspace) {
    return new HttpError(403, "no workspace named and --workspace-only is set: send X-Cmux-Workspace-Internal or use Host <workspace>-<port>.localhost");
  }
  if (p.allow !== null && !inPortList(p.allow, req.port)) return new HttpError(403, `port ${req.port} is not allowed (outside --allow-ports)`);
  if (inPortList(p.deny, req.port)) return new HttpError(403, `port ${req.port} is not allowed (refused by --deny-ports)`);
  return null;
}

// ---- the start-up warning ---------------------------------------------------------------------

/** One line when a listen address is not loopback and nothing narrows what it reaches, else null. */
export function exposureWarning(listen: readonly ListenAddress[], policy: Policy | null): string | null {
  if (policy !== null) return null;
  const open = listen.filter((a) => !isLoopbackPeer(a.host));
  if (open.length === 0) return null;
  return (
    `${open.map(formatAddress).join(", ")} ${open.length === 1 ? "is" : "are"} not loopback and no access policy is set: ` +
    "every loopback port of this machine is reachable from the network " +
    "(narrow it with --allow-ports, --deny-ports, --workspace-only or --auth-token, or listen on 127.0.0.1)"
  );
}
