// --help groups: citty's own rendering, each group's flags moved under a heading of its own.

import { describe, expect, test } from "bun:test";
import { defineCommand } from "citty";
import { optionsSection, renderGroupedUsage } from "../src/help";

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

describe("optionsSection", () => {
  test.each([
    ["plain", "desc\n\nUSAGE x\n\nOPTIONS\n\n  --a  A\n", "SECURITY\n\n  --a  A\n"],
    ["coloured heading", "USAGE x\n\n\x1b[4m\x1b[1mOPTIONS\x1b[22m\x1b[24m\n\n  --a\n", "\x1b[4m\x1b[1mSECURITY\x1b[22m\x1b[24m\n\n  --a\n"],
    ["no OPTIONS heading", "USAGE x\n", ""],
    ["OPTIONS inside a description is no heading", "USAGE x\n  --a  see OPTIONS\n", ""],
  ])("%s", (_, usage, expected) => {
    expect(optionsSection(usage, "SECURITY")).toBe(expected);
  });
});

test("renderGroupedUsage moves the grouped flags under their heading, in their order", async () => {
  const cmd = defineCommand({
    meta: { name: "tool", version: "1.0.0", description: "does things" },
    args: {
      listen: { type: "string", description: "where to listen", valueHint: "ADDR" },
      "allow-ports": { type: "string", description: "only these ports", valueHint: "PORTS" },
      verbose: { type: "boolean", description: "say more" },
      "auth-token": { type: "string", description: "the token", valueHint: "TOKEN" },
    },
  });
  const text = plain(await renderGroupedUsage(cmd, [{ title: "SECURITY", flags: ["allow-ports", "auth-token"] }]));
  const lines = text.split("\n").map((l) => l.trim());
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  expect(at(/^USAGE tool/)).toBeGreaterThan(-1);
  const options = at(/^OPTIONS$/);
  const security = at(/^SECURITY$/);
  expect(options).toBeGreaterThan(-1);
  expect(security).toBeGreaterThan(options);
  for (const re of [/^--listen=<ADDR>\s+where to listen$/, /^--verbose\s+say more$/]) {
    expect(at(re)).toBeGreaterThan(options);
    expect(at(re)).toBeLessThan(security);
  }
  expect(at(/^--allow-ports=<PORTS>\s+only these ports$/)).toBeGreaterThan(security);
  expect(at(/^--auth-token=<TOKEN>\s+the token$/)).toBeGreaterThan(at(/^--allow-ports/));
  // Each flag once, the description line and USAGE once.
  expect(text.match(/--allow-ports/g)).toHaveLength(1);
  expect(text.match(/USAGE/g)).toHaveLength(1);
  expect(text.match(/does things/g)).toHaveLength(1);
});
