// The two load tests too long for every `bun run test` (run with CMUX_HEAVY=1, under `ulimit -n 65536`):
// 10,000 concurrent idle connections while other clients are still served, and a 1 GiB response to a
// client that reads 1 MiB/s, with the proxy's memory bounded throughout.

import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { cliWithFdLimit, requireFdLimit } from "../helpers/fd-limit";
import { HEAVY } from "../helpers/heavy";
import { answerEach, rawExchange, statuses } from "../helpers/net";
import { HeadSplitter } from "../helpers/head-split";
import { PatternChecker, PatternWriter } from "../helpers/pattern";
import { fdCount } from "../helpers/proc-stats";
import { waitFor } from "../helpers/wait";
import { rssKiB, spawnProxy } from "../helpers/proxy-process";
import { connectClient, waitClient, type RawClient } from "../helpers/raw-client";
import { trackedUpstream } from "../helpers/tracked-upstream";

const get = (port: number, path = "/") => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${port}\r\n\r\n`;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

test.skipIf(!HEAVY)("10,000 concurrent idle connections are held while other clients are still served", async () => {
  const IDLE = 10_000;
  requireFdLimit(IDLE + 2000);
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0", "--idle-timeout", "300"], {}, cliWithFdLimit(65536));
  const port = proxy.ports[0]!;
  requireFdLimit(IDLE + 1000, proxy.proc.pid);
  const up = trackedUpstream(answerEach(), { keep: 1 << 20 });
  const idle: RawClient[] = [];
  try {
    const fds0 = fdCount(proxy.proc.pid);
    const rss0 = rssKiB(proxy.proc.pid);
    const t0 = performance.now();
    // Half have made one request and sit in keep-alive; half connected and never said anything.
    for (let batch = 0; batch < IDLE; batch += 500) {
      const opened = await Promise.all(Array.from({ length: 500 }, () => connectClient(port, 256)));
      const talkers = opened.filter((_, i) => i % 2 === 0);
      for (const c of talkers) c.socket.write(get(up.port, "/first"));
      expect((await Promise.all(talkers.map((c) => waitClient(c, (x) => /ok \d+$/.test(x.text), 10_000)))).every(Boolean)).toBe(true);
      idle.push(...opened);
    }
    const openMs = performance.now() - t0;
    expect(await waitFor(() => fdCount(proxy.proc.pid) >= fds0 + IDLE, 10_000, 100)).toBe(true);
    const rssHeld = rssKiB(proxy.proc.pid);

    // Meanwhile: 400 requests on fresh connections, 20 at a time.
    const latencies: number[] = [];
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const s = performance.now();
          const r = await rawExchange(port, [get(up.port, "/meanwhile")], { until: (t) => /ok \d+$/.test(t), timeoutMs: 10_000 });
          expect(statuses(r.text)).toEqual([200]);
          latencies.push(performance.now() - s);
        }),
      );
    }
    // And the idle ones still work: every 100th sends a request now.
    const sample = idle.filter((_, i) => i % 100 === 0);
    const lengths = sample.map((c) => c.text.length);
    for (const c of sample) c.socket.write(get(up.port, "/later"));
    expect((await Promise.all(sample.map((c, i) => waitClient(c, (x) => x.text.length > lengths[i]! && /ok \d+$/.test(x.text), 10_000)))).every(Boolean)).toBe(true);
    expect(idle.filter((c) => c.closedAt !== 0).length).toBe(0);
    expect(percentile(latencies, 99)).toBeLessThan(2000);
    console.log(
      `10k idle: ${IDLE} connections opened in ${Math.round(openMs)} ms and held (+${fdCount(proxy.proc.pid) - fds0} fds); ` +
        `proxy RSS ${Math.round(rss0 / 1024)} -> ${Math.round(rssHeld / 1024)} MiB (${((rssHeld - rss0) / IDLE).toFixed(1)} KiB per connection); ` +
        `${latencies.length} other requests meanwhile: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    for (const c of idle.splice(0)) c.socket.end();
    // Client sockets go at once; pooled upstream connections within their 4 s pool timeout.
    expect(await waitFor(() => fdCount(proxy.proc.pid) <= fds0 + 2, 15_000, 100)).toBe(true);
  } finally {
    for (const c of idle) c.socket.terminate();
    up.stop();
    await proxy.stop();
  }
}, 120_000);

test.skipIf(!HEAVY)("a 1 GiB response to a client reading 1 MiB/s: the upstream is held back, RSS stays bounded, every byte is right", async () => {
  const TOTAL = 1 << 30;
  const RATE = 1 << 20;
  const SECONDS = Number(process.env.SLOW_READ_SECONDS ?? 20);
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
  let writer: PatternWriter | null = null;
  const up = trackedUpstream(
    (c) => {
      if (writer !== null || !c.received.includes("\r\n\r\n")) return;
      c.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\n\r\n`);
      writer = new PatternWriter(c.socket, 3, TOTAL);
      writer.pump();
    },
    { keep: 4096, onDrain: () => writer?.pump() },
  );
  let client: Socket<undefined> | null = null;
  let pacer: ReturnType<typeof setInterval> | null = null;
  try {
    const fds0 = fdCount(proxy.proc.pid);
    const rss0 = rssKiB(proxy.proc.pid);
    const checker = new PatternChecker(3);
    const split = new HeadSplitter();
    let started = 0;
    let paused = false;
    const allowed = () => (started === 0 ? Infinity : ((performance.now() - started) / 1000) * RATE);
    client = await Bun.connect({
      hostname: "127.0.0.1",
      port: proxy.ports[0]!,
      socket: {
        data(s, b) {
          const wasComplete = split.complete;
          const body = split.feed(b);
          if (body === null) return;
          if (!wasComplete) started = performance.now();
          checker.add(body);
          // Ahead of schedule: stop reading at once (a resumed socket reads at memory speed).
          if (!paused && checker.got > allowed()) {
            paused = true;
            s.pause();
          }
        },
      },
    });
    client.write(get(up.port, "/gigabyte"));
    expect(await waitFor(() => started !== 0, 5000)).toBe(true);
    // Read at RATE: the data handler pauses when ahead of schedule, this resumes once behind.
    pacer = setInterval(() => {
      if (paused && checker.got <= allowed()) {
        paused = false;
        client!.resume();
      }
    }, 20);
    const rss: number[] = [];
    const inFlight: number[] = [];
    for (let s = 0; s < SECONDS; s++) {
      await Bun.sleep(1000);
      rss.push(rssKiB(proxy.proc.pid));
      inFlight.push(writer!.sent - checker.got);
    }
    clearInterval(pacer);
    pacer = null;
    const growth = Math.max(...rss) - rss0;
    const readRate = checker.got / ((performance.now() - started) / 1000);
    console.log(
      `slow reader: ${SECONDS} s at 1 MiB/s: ${(checker.got / 1048576).toFixed(1)} MiB read and checked (${(readRate / 1048576).toFixed(2)} MiB/s), ` +
        `upstream had sent ${(writer!.sent / 1048576).toFixed(1)} MiB (max ${(Math.max(...inFlight) / 1048576).toFixed(1)} MiB ahead of the reader); ` +
        `proxy RSS ${Math.round(rss0 / 1024)} MiB at start, max ${Math.round(Math.max(...rss) / 1024)} MiB`,
    );
    expect(checker.bad).toBe(-1);
    expect(checker.got).toBeGreaterThan(SECONDS * RATE * 0.8);
    expect(checker.got).toBeLessThan((SECONDS + 2) * RATE);
    // Held back: the upstream is never more than the socket buffers on the way ahead of the reader.
    expect(Math.max(...inFlight)).toBeLessThan(48 << 20);
    expect(growth).toBeLessThan(64 * 1024);
    // The reader gives up: the upstream connection is closed and nothing is left behind.
    client.terminate();
    client = null;
    expect(await up.allClosed()).toBe(true);
    expect(writer!.sent).toBeLessThan(TOTAL);
    expect(await waitFor(() => fdCount(proxy.proc.pid) <= fds0, 5000)).toBe(true);
  } finally {
    if (pacer !== null) clearInterval(pacer);
    client?.terminate();
    up.stop();
    await proxy.stop();
  }
}, 120_000);
