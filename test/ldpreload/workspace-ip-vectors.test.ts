// The shim's C implementation of the name -> IP rule against the shared vectors (the TypeScript side is
// checked against the same file in test/workspace.test.ts).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vectors from "../vectors/workspace-ip.json";
import { REPO, compileC, mustRun, removeDir } from "./harness";

type Case = { name: string; ip?: string; error?: boolean; note?: string };
const cases = vectors.cases as Case[];

let dir: string;
let lines: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cmux-shim-ip-"));
  const cli = join(dir, "workspace_ip_cli");
  await compileC(cli, [join(import.meta.dir, "workspace_ip_cli.c"), join(REPO, "ldpreload/workspace_ip.c")], [
    `-I${join(REPO, "ldpreload")}`,
  ]);
  // Every name in one run, each as its own argv entry, so spaces and empty names arrive intact.
  const r = await mustRun([cli, ...cases.map((c) => c.name)]);
  lines = r.stdout.split("\n").slice(0, -1);
});

afterAll(() => removeDir(dir));

test("the vector file has the cases the issue asks for", () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
  const names = new Set(cases.map((c) => c.name));
  for (const n of ["workspace-1", "workspace-256", "workspace-65535", "workspace-0", "workspace-65536", "workspace-a", "Workspace-A", "/root/workspace-c", "工作区", ""]) {
    expect(names.has(n)).toBe(true);
  }
});

test("one answer per name", () => {
  expect(lines.length).toBe(cases.length);
});

test.each(cases.map((c, i) => [JSON.stringify(c.name), i] as const))("C rule: %s", (_label, i) => {
  const c = cases[i]!;
  expect(lines[i]).toBe(c.error ? "error" : c.ip!);
});
