// Reading what the page shows: workspace directories under the roots, and one reading reused.

import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWorkspaceDirs, SnapshotReader } from "../../src/admin/snapshot";

const root = mkdtempSync(join(tmpdir(), "cmux-roots-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("workspace-* directories (and links to them) under each root; files and other names skipped", async () => {
  mkdirSync(join(root, "a", "workspace-web"), { recursive: true });
  mkdirSync(join(root, "a", "workspace-3"));
  mkdirSync(join(root, "a", "project"));
  writeFileSync(join(root, "a", "workspace-file"), "");
  mkdirSync(join(root, "b", "elsewhere"), { recursive: true });
  symlinkSync(join(root, "b", "elsewhere"), join(root, "b", "workspace-api"));
  const r = await readWorkspaceDirs({ roots: [join(root, "a"), join(root, "b")], explicit: true });
  expect(r.names.sort()).toEqual(["workspace-3", "workspace-api", "workspace-web"]);
  expect(r.errors).toEqual([]);
});

test("a missing root is an error line only when it was given", async () => {
  const missing = join(root, "missing");
  expect(await readWorkspaceDirs({ roots: [missing], explicit: false })).toEqual({ names: [], errors: [] });
  expect(await readWorkspaceDirs({ roots: [missing], explicit: true })).toEqual({
    names: [],
    errors: [`cannot read workspace root ${missing} (ENOENT): workspaces named there show as workspace-N`],
  });
});

test("one reading is shared while it runs and reused for a second: a server started meanwhile shows up only after it", async () => {
  const reader = new SnapshotReader({ roots: [], explicit: false });
  const [first, second] = await Promise.all([reader.read(), reader.read()]);
  expect(second).toBe(first);
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    expect(await reader.read()).toBe(first);
    expect(first.listeners.some((l) => l.port === server.port && l.address === "127.0.0.1")).toBe(false);
    let later = first;
    // Bounded poll: the reading is reused for a second, then read again.
    const until = performance.now() + 5000;
    while (later === first && performance.now() < until) {
      await Bun.sleep(100);
      later = await reader.read();
    }
    expect(later).not.toBe(first);
    const mine = later.listeners.find((l) => l.port === server.port && l.address === "127.0.0.1")!;
    expect(later.owners.get(mine.inode)?.pid).toBe(process.pid);
  } finally {
    server.stop(true);
  }
});
