// Workspace IP -> name: numbers, hashed directory names (hashes computed independently in Python,
// as in test/vectors/workspace-ip.json), collisions, and the names links can use.

import { describe, expect, test } from "bun:test";
import { indexWorkspaceNames, linkName, workspaceName, workspaceNumber, type WorkspaceName } from "../src/workspace-names";

describe("workspaceNumber", () => {
  test.each<[string, number | null]>([
    ["127.18.0.1", 1],
    ["127.18.0.255", 255],
    ["127.18.1.0", 256],
    ["127.18.3.232", 1000],
    ["127.18.255.255", 65535],
    ["127.18.0.0", null],
    ["127.18.256.1", null],
    ["127.18.01.2", null],
    ["127.19.0.1", null],
    ["127.0.0.1", null],
    ["::1", null],
    ["127.18.0", null],
    ["x127.18.0.1", null],
  ])("%p -> %p", (ip, n) => {
    expect(workspaceNumber(ip)).toBe(n);
  });
});

// Directory names as found under the roots: some hashed, one numeric, one colliding with workspace-a
// (FNV-1a & 0xFFFF = 45088 for both), and entries the shim would never treat as a workspace.
const DIRS = ["workspace-b", "workspace-a", "workspace-cwqv", "workspace-7", "my-project", "Workspace-c", "workspace-ä", "workspace-0"];
const index = indexWorkspaceNames(DIRS);

test("indexWorkspaceNames keeps only `workspace-` names that map to an IP, sorted per IP", () => {
  expect(Object.fromEntries(index)).toEqual({
    "127.18.176.32": ["workspace-a", "workspace-cwqv"],
    "127.18.180.217": ["workspace-b"],
    "127.18.0.7": ["workspace-7"],
    "127.18.175.102": ["workspace-ä"],
  });
});

describe("workspaceName", () => {
  test.each<[string, WorkspaceName | null]>([
    ["127.18.176.32", { name: "workspace-a", source: "directory", aliases: ["workspace-cwqv"] }],
    ["127.18.180.217", { name: "workspace-b", source: "directory", aliases: [] }],
    ["127.18.175.102", { name: "workspace-ä", source: "directory", aliases: [] }],
    ["127.18.0.7", { name: "workspace-7", source: "directory", aliases: [] }],
    ["127.18.0.3", { name: "workspace-3", source: "number", aliases: [] }],
    // workspace-c's IP, but the directory was "Workspace-c": the shim does not see it as a workspace.
    ["127.18.179.70", { name: "workspace-45894", source: "number", aliases: [] }],
    ["127.18.1.44", { name: "workspace-300", source: "number", aliases: [] }],
    ["127.0.0.1", null],
    ["0.0.0.0", null],
    ["::", null],
    ["127.18.0.0", null],
  ])("%p", (ip, want) => {
    expect(workspaceName(ip, index)).toEqual(want);
  });
});

describe("linkName: a host label that routes back to the same IP", () => {
  test.each<[string, string, string | null]>([
    ["127.18.176.32", "workspace-a", "workspace-a"],
    ["127.18.176.32", "Workspace-A", "workspace-a"],
    ["127.18.0.7", "workspace-7", "workspace-7"],
    ["127.18.0.3", "workspace-3", "workspace-3"],
    // Not a host label: the numeric name reaches the same IP.
    ["127.18.175.102", "workspace-ä", "workspace-44902"],
    // A name that does not map to this IP is never used for it.
    ["127.18.0.4", "workspace-a", "workspace-4"],
    ["127.18.0.4", "workspace-" + "x".repeat(60), "workspace-4"],
    ["127.0.0.1", "workspace-a", null],
  ])("%p %p -> %p", (ip, name, want) => {
    expect(linkName(ip, name)).toBe(want);
  });
});
