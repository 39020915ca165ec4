// The command-line flags of the admin Host and the access log, with their environment fallbacks,
// kept here so the command line only lists and passes them.

import { DEFAULT_ADMIN_HOST } from "./access";
import { adminConfig, type AdminConfig } from "./config";

export const OBSERVE_ARGS = {
  "admin-host": {
    type: "string",
    description: `Host name the proxy answers itself (page, /api/listeners, /healthz, /metrics) (env CMUX_ADMIN_HOST, default ${DEFAULT_ADMIN_HOST})`,
    valueHint: "NAME",
  },
  "admin-from": {
    type: "string",
    description: "who may see the admin Host: address ranges, comma-separated (env CMUX_ADMIN_FROM, default loopback: 127.0.0.0/8,::1)",
    valueHint: "CIDRS",
  },
  "workspace-root": {
    type: "string",
    description: "where workspace-* directories are, for the admin page's names; repeatable (env CMUX_WORKSPACE_ROOT, default /root and $HOME)",
    valueHint: "DIR",
  },
  "access-log": { type: "boolean", description: "one line per finished exchange on stdout, JSON with --log-json (env CMUX_ACCESS_LOG=1)" },
} as const;

export interface ObserveFlags {
  admin: AdminConfig;
  accessLog: "text" | "json" | undefined;
}

export function observeFlags(
  args: { "admin-host"?: string; "admin-from"?: string; "access-log"?: boolean },
  roots: string[],
  json: boolean,
  env: Record<string, string | undefined>,
): ObserveFlags | string {
  const admin = adminConfig({
    host: args["admin-host"] ?? (env.CMUX_ADMIN_HOST || undefined),
    from: args["admin-from"] ?? env.CMUX_ADMIN_FROM,
    roots: roots.length > 0 ? roots : env.CMUX_WORKSPACE_ROOT ? [env.CMUX_WORKSPACE_ROOT] : [],
    home: env.HOME,
  });
  if (typeof admin === "string") return admin;
  const on = args["access-log"] === true || env.CMUX_ACCESS_LOG === "1";
  return { admin, accessLog: on ? (json ? "json" : "text") : undefined };
}
