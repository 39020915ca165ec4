// The admin settings from their flags and environment: --admin-host (CMUX_ADMIN_HOST), --admin-from
// (CMUX_ADMIN_FROM) and --workspace-root (repeatable, CMUX_WORKSPACE_ROOT, comma-separated). Pure.

import { LOOPBACK, parseCidrList, type Cidr } from "../net/cidr";
import { DEFAULT_ADMIN_HOST, parseAdminHost } from "./access";
import type { WorkspaceRoots } from "./snapshot";

export interface AdminConfig {
  /** The Host name answered by the proxy itself, lowercase. */
  host: string;
  /** Peers that may see it; everyone else is routed like any request. */
  from: readonly Cidr[];
  roots: WorkspaceRoots;
}

export interface AdminInput {
  host?: string;
  from?: string;
  roots: string[];
  /** $HOME, a default root beside /root. */
  home?: string;
}

export function adminConfig(input: AdminInput): AdminConfig | string {
  const host = parseAdminHost(input.host ?? DEFAULT_ADMIN_HOST);
  if (typeof host !== "string") return host.error;
  let from: readonly Cidr[] = LOOPBACK;
  if (input.from !== undefined) {
    const list = parseCidrList(input.from);
    if (typeof list === "string") return `invalid --admin-from: ${list}`;
    from = list;
  }
  const given = input.roots.flatMap((r) => r.split(",")).map((r) => r.trim()).filter((r) => r !== "");
  const roots = given.length > 0 ? given : ["/root", ...(input.home ? [input.home] : [])];
  return { host, from, roots: { roots: [...new Set(roots)], explicit: given.length > 0 } };
}

/** The settings when none are given (a proxy started by code rather than by the command line). */
export function defaultAdminConfig(): AdminConfig {
  return adminConfig({ roots: [], home: process.env.HOME }) as AdminConfig;
}
