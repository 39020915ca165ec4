// The security flags as citty parses them, handed to parsePolicy.

import { expect, test } from "bun:test";
import { parseArgs } from "citty";
import type { PolicyFlags } from "../src/policy";
import { policyFlags, SECURITY_ARGS } from "../src/security-flags";

const none: PolicyFlags = {
  allowPorts: undefined,
  denyPorts: undefined,
  authToken: undefined,
  authTokenFile: undefined,
  workspaceOnly: false,
  authLoopback: false,
};

test.each([
  [[], none],
  [["--allow-ports", "3000-9999,5432"], { ...none, allowPorts: "3000-9999,5432" }],
  [["--allow-ports=80"], { ...none, allowPorts: "80" }],
  [["--deny-ports", "22"], { ...none, denyPorts: "22" }],
  [["--workspace-only"], { ...none, workspaceOnly: true }],
  [["--auth-token", "t"], { ...none, authToken: "t" }],
  [["--auth-token-file", "/run/t"], { ...none, authTokenFile: "/run/t" }],
  [["--auth-token", "t", "--auth-loopback"], { ...none, authToken: "t", authLoopback: true }],
  [["--allow-ports="], { ...none, allowPorts: "" }],
] as [string[], PolicyFlags][])("%p", (argv, expected) => {
  expect(policyFlags(parseArgs(argv, SECURITY_ARGS))).toEqual(expected);
});
