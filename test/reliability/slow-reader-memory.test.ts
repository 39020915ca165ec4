// Slow readers, by a tool nobody here wrote: slowhttptest's slow-read mode (-X) opens connections
// through the proxy (-d), each asking for a 1 MiB file twice (-k 2) with a receive window of 1-64
// bytes (-w/-y) and reading 32 bytes a second (-z/-n). The proxy's anonymous RSS is measured from /proc
// before, while they all stall and after they are gone: a stalled reader may cost at most 64 KiB of
// proxy memory beyond the kernel's socket buffers, and the memory must come back once they leave.
// Anonymous, because 300 connections run code one warm-up request does not, and the pages of the
// executable that code is read into count in RSS (about 6 MiB of Bun's own binary, 20 KiB a reader
// that no reader holds); they are the same for 3 readers or 3,000.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { readFileSync } from "node:fs";
import { socketCount } from "../helpers/proc-stats";
import { anonRssKiB, rssKiB, spawnProxy, type ProxyProcess } from "../helpers/proxy-process";
import { waitFor } from "../helpers/wait";

const READERS = 300;
const FILE = Buffer.alloc(1024 * 1024, "slow-reader ");
const PER_READER_KIB = 64;
const RETURN_KIB = 16 * 1024;

let proxy: ProxyProcess;
let upstream: Server<undefined>;

beforeAll(async () => {
  // workspace-1 routes to 127.18.0.1 (loopback: all of 127/8 is local on Linux).
  upstream = Bun.serve({ hostname: "127.18.0.1", port: 0, fetch: () => new Response(FILE) });
  proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
});
afterAll(async () => {
  await proxy?.stop();
  upstream?.stop(true);
});

/** Established TCP connections whose local end is 127.0.0.1:`port` (the proxy's accepted clients). */
function clientsOf(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  // Columns: sl, local_address, rem_address, st (01 = ESTABLISHED).
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      return f[1] === local && f[3] === "01";
    }).length;
}

/** Anonymous RSS once it holds still (two readings half a second apart within 256 KiB), or after `ms`:
 * what a burst freed goes back to the system over a moment (a collection, the allocator returning pages). */
async function settledAnonRss(ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let last = anonRssKiB(proxy.proc.pid);
  for (;;) {
    await Bun.sleep(500);
    const now = anonRssKiB(proxy.proc.pid);
    if (Math.abs(now - last) < 256 || Date.now() > deadline) return now;
    last = now;
  }
}

test(`${READERS} slowhttptest slow readers: at most ${PER_READER_KIB} KiB each while stalled, RSS back near its baseline once they are gone`, async () => {
  const pid = proxy.proc.pid;
  const host = `workspace-1-${upstream.port}.localhost`;
  const url = `http://127.0.0.1:${proxy.ports[0]}/1m.bin`;
  // The listener and the process's own (its stdio pipes are socket pairs); the warm-up's upstream
  // then waits in the pool for a few seconds, or is taken by a reader.
  const idleSockets = socketCount(pid);
  // One full read first: what the first exchange brings in (code, libc through bun:ffi) is baseline.
  const warm = await fetch(url, { headers: { host, connection: "close" } });
  expect((await warm.arrayBuffer()).byteLength).toBe(FILE.length);
  const baseline = anonRssKiB(pid);
  const fullBaseline = rssKiB(pid);

  // -l bounds the tool; it is stopped as soon as the measurement is taken.
  const tool = Bun.spawn(
    ["slowhttptest", "-X", "-k", "2", "-n", "1", "-w", "1", "-y", "64", "-z", "32", "-c", String(READERS), "-r", "100", "-l", "40", "-d", `127.0.0.1:${proxy.ports[0]}`, "-u", `http://${host}/1m.bin`],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  let during = 0;
  let fullDuring = 0;
  try {
    // Every reader connected.
    expect(await waitFor(() => clientsOf(proxy.ports[0]!) >= READERS, 15_000, 100)).toBe(true);
    // The burst that filled the kernel's buffers leaves garbage the proxy collects once traffic calms.
    during = await settledAnonRss(8000);
    fullDuring = rssKiB(pid);
    // Still all there: the memory measured is theirs.
    expect(clientsOf(proxy.ports[0]!)).toBe(READERS);
  } finally {
    tool.kill("SIGKILL");
    await tool.exited;
  }
  expect(await waitFor(() => socketCount(pid) <= idleSockets, 10_000, 100)).toBe(true);
  const gone = performance.now();
  const after = await settledAnonRss(8000);
  const back = (performance.now() - gone) / 1000;

  const perReader = (during - baseline) / READERS;
  console.log(`slow readers: anonymous RSS ${(baseline / 1024).toFixed(1)} MiB before, ${(during / 1024).toFixed(1)} MiB with ${READERS} stalled (${perReader.toFixed(1)} KiB each), ${(after / 1024).toFixed(1)} MiB ${back.toFixed(1)} s after they were gone; all RSS ${(fullBaseline / 1024).toFixed(1)} -> ${(fullDuring / 1024).toFixed(1)} MiB`);
  expect(perReader).toBeLessThanOrEqual(PER_READER_KIB);
  expect(after - baseline).toBeLessThanOrEqual(RETURN_KIB);
  expect(proxy.proc.exitCode).toBeNull();
}, 60_000);
