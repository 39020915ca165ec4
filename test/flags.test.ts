// The flag reader against citty's own parseArgs (what the command line used before): every argument
// list below must read the same, flag by flag.

import { expect, test } from "bun:test";
import { parseArgs as cittyParse, type ArgsDef } from "citty";
import { parseFlags } from "../src/flags";

// Every shape the command line declares: one-word and multi-word strings, booleans, a boolean on by default.
const DEFS = {
  listen: { type: "string" },
  "upstream-host": { type: "string" },
  "auth-token-file": { type: "string" },
  "log-json": { type: "boolean" },
  "access-log": { type: "boolean" },
  "forwarded-headers": { type: "boolean", default: true },
} as const satisfies ArgsDef;

test.each([
  [[]],
  [["--listen", "127.0.0.1:1"]],
  [["--listen=127.0.0.1:1"]],
  [["--listen", "a", "--listen", "b"]],
  [["--listen"]],
  [["--listen="]],
  [["--listen", "--log-json"]],
  [["--listen", "-h2"]],
  [["--listen", "--no-log-json", "x"]],
  [["--listen", "--"]],
  [["--", "--listen", "x"]],
  [["--log-json", "--", "--no-log-json"]],
  [["--log-json"]],
  [["--log-json=false"]],
  [["--log-json=0"]],
  [["--log-json=true"]],
  [["--log-json="]],
  [["--log-json", "false"]],
  [["--no-log-json"]],
  [["--log-json", "--no-log-json"]],
  [["--no-log-json", "--log-json"]],
  [["--no-forwarded-headers"]],
  [["--forwarded-headers=false"]],
  [["--forwarded-headers"]],
  [["--no-forwardedHeaders"]],
  [["--forwardedHeaders=false"]],
  [["--forwarded-headers", "--forwardedHeaders=false"]],
  [["--forwarded-headers=false", "--forwardedHeaders"]],
  [["--upstreamHost", "x"]],
  [["--upstreamHost", "x", "--upstream-host", "y"]],
  [["--upstream-host", "y", "--upstreamHost", "x"]],
  [["--upstreamHost=x", "--upstream-host="]],
  [["--logJson"]],
  [["--logJson", "--log-json=false"]],
  [["--authTokenFile", "/f", "--auth-token-file"]],
  [["--unknown", "127.0.0.1:1", "--listen", "b"]],
  [["--unknown=x", "-x", "-abc", "-", "positional", "--listen=c"]],
  [["-l", "x", "--upstream-host", "h"]],
  [["--no-listen"]],
  [["--no-listen", "--listen", "a"]],
  [["--no-unknown", "--listen", "a"]],
  [["--=x", "--listen", "a"]],
  [["--upstream-host=a=b"]],
  [["--__proto__", "--listen", "a"]],
])("%j reads as citty reads it", (argv) => {
  const citty = cittyParse(argv, DEFS);
  const ours = parseFlags(argv, DEFS);
  for (const name of Object.keys(DEFS)) expect({ name, value: ours[name] }).toEqual({ name, value: citty[name] });
});
