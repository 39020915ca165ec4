// Reading the socket tables for a 502: real listeners show up, and a read that cannot finish within
// the bound gives no diagnosis instead of a late 502.

import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SocketTables } from "../../src/proxy/nearby";

describe("SocketTables", () => {
  const listeners = [Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } }), Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })];
  afterAll(() => {
    for (const l of listeners) l.stop(true);
  });

  test("shows this process's listeners on both families", async () => {
    const got = await new SocketTables("/proc", 5000).now();
    expect(got).not.toBeNull();
    expect(got!.some((l) => l.family === 6 && l.address === "::1" && l.port === listeners[0]!.port)).toBe(true);
    expect(got!.some((l) => l.family === 4 && l.address === "127.0.0.1" && l.port === listeners[1]!.port)).toBe(true);
  });

  test("diagnose names a server on ::1 for a workspace target", async () => {
    const notes = await new SocketTables("/proc", 5000).diagnose("127.18.0.1", listeners[0]!.port);
    expect(notes).toContain(`[::1]:${listeners[0]!.port} has a listener: a server bound to ::1 only, which the shim cannot move into a workspace (bind it to 127.0.0.1 or localhost)`);
  });

  test("a read that does not finish within the bound gives null, on time", async () => {
    // A FIFO nobody writes to: the read blocks until the test opens and closes the writing end.
    const root = mkdtempSync(join(tmpdir(), "nearby-"));
    mkdirSync(join(root, "net"));
    const fifo = join(root, "net", "tcp");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    try {
      const t0 = performance.now();
      const tables = new SocketTables(root, 100);
      const [a, b] = await Promise.all([tables.now(), tables.now()]);
      const elapsed = performance.now() - t0;
      expect(a).toBeNull();
      expect(b).toBeNull();
      expect(elapsed).toBeGreaterThanOrEqual(99);
      expect(elapsed).toBeLessThan(2000);
    } finally {
      // Release the blocked reads (EOF); non-blocking, so it cannot hang if no reader is left.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch (e) {
        if ((e as { code?: string }).code !== "ENXIO") throw e;
      }
      rmSync(root, { recursive: true });
    }
  });
});
