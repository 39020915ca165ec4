// The security flags as the command line declares them, and the settings they give parsePolicy.
// Kept apart from cli.ts so --help can show them as a group of their own (src/help.ts).

import type { ArgsDef } from "citty";
import type { PolicyFlags } from "./policy";

export const SECURITY_ARGS = {
  "allow-ports": {
    type: "string",
    description: "only these upstream ports, e.g. 3000-9999,5432; others get 403 (env CMUX_ALLOW_PORTS, default all)",
    valueHint: "PORTS",
  },
  "deny-ports": {
    type: "string",
    description: "never these upstream ports, even inside --allow-ports (env CMUX_DENY_PORTS)",
    valueHint: "PORTS",
  },
  "workspace-only": {
    type: "boolean",
    description: "refuse requests that name no workspace: --upstream-host stays out of reach (env CMUX_WORKSPACE_ONLY=1)",
  },
  "auth-token": {
    type: "string",
    description: "a token non-loopback clients must send; others get 401/407 (env CMUX_AUTH_TOKEN; ps shows flags, prefer the file)",
    valueHint: "TOKEN",
  },
  "auth-token-file": {
    type: "string",
    description: "read the token from a file, surrounding whitespace trimmed (env CMUX_AUTH_TOKEN_FILE)",
    valueHint: "PATH",
  },
  "auth-loopback": {
    type: "boolean",
    description: "loopback clients need the token too, e.g. behind a tunnel on this machine (env CMUX_AUTH_LOOPBACK=1)",
  },
} as const satisfies ArgsDef;

export function policyFlags(args: Record<string, unknown>): PolicyFlags {
  const text = (name: keyof typeof SECURITY_ARGS) => (typeof args[name] === "string" ? (args[name] as string) : undefined);
  return {
    allowPorts: text("allow-ports"),
    denyPorts: text("deny-ports"),
    authToken: text("auth-token"),
    authTokenFile: text("auth-token-file"),
    workspaceOnly: args["workspace-only"] === true,
    authLoopback: args["auth-loopback"] === true,
  };
}
