// Bounded memory: a reader that stops reading pauses the other side. The proxy runs as its own process
// so its RSS can be read while a 1 GiB response waits on a client that has stopped reading.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { HeadSplitter } from "../helpers/head-split";
import { PatternChecker, PatternWriter } from "../helpers/pattern";
import { waitFor } from "../helpers/wait";
import { rssKiB, spawnProxy, type ProxyProcess } from "../helpers/proxy-process";

// RSS growth allowed while one side is stalled: far below the bytes in flight (1 GiB).
const MAX_GROWTH_KIB = 96 * 1024;

let proxy: ProxyProcess;

/**
 * With the reader stalled, lets the writer push until every buffer on the way is full, then checks
 * it was stopped (under 1 MiB more in the last half second, under 64 MiB in all) and that the
 * proxy's RSS grew by less than MAX_GROWTH_KIB. Filling the buffers takes as long as this machine
 * needs: half seconds are watched until one passes without progress (bounded; a proxy that does not
 * hold back reaches 64 MiB first).
 */
async function expectHeldBack(writer: PatternWriter, baselineKiB: number): Promise<{ stalledAt: number; growth: number }> {
  let stalledAt = writer.sent;
  for (let halves = 0; halves < 30; halves++) {
    stalledAt = writer.sent;
    await Bun.sleep(500);
    if (writer.sent - stalledAt < 1 << 20 || writer.sent >= 64 << 20) break;
  }
  const growth = rssKiB(proxy.proc.pid) - baselineKiB;
  expect(writer.sent - stalledAt).toBeLessThan(1 << 20);
  expect(writer.sent).toBeLessThan(64 << 20);
  expect(growth).toBeLessThan(MAX_GROWTH_KIB);
  return { stalledAt, growth };
}
beforeAll(async () => {
  proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
});
afterAll(() => proxy.stop());

test("a 1 GiB response to a client that stops reading: the proxy pauses the upstream, RSS stays bounded, every byte arrives", async () => {
  const TOTAL = 1 << 30;
  let writer: PatternWriter | null = null;
  const upstream = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s) {
        if (writer !== null) return;
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\n\r\n`);
        writer = new PatternWriter(s, 1, TOTAL);
        writer.pump();
      },
      drain() {
        writer?.pump();
      },
    },
  });
  const checker = new PatternChecker(1);
  const split = new HeadSplitter();
  let client: Socket<undefined> | null = null;
  try {
    const baseline = rssKiB(proxy.proc.pid);
    client = await Bun.connect({
      hostname: "127.0.0.1",
      port: proxy.ports[0]!,
      socket: {
        data(_s, b) {
          const body = split.feed(b);
          if (body !== null) checker.add(body);
        },
      },
    });
    client.write(`GET /big HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${upstream.port}\r\n\r\n`);
    expect(await waitFor(() => checker.got > 0, 5000)).toBe(true);
    client.pause();
    // Let the upstream push until every buffer between it and the stalled client is full.
    const { stalledAt, growth } = await expectHeldBack(writer!, baseline);
    client.resume();
    expect(await waitFor(() => checker.got === TOTAL || checker.bad !== -1, 60_000)).toBe(true);
    expect(split.head).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(checker.bad).toBe(-1);
    expect(checker.got).toBe(TOTAL);
    console.log(`1 GiB response: proxy RSS growth while the client was stalled ${growth} KiB; upstream had sent ${(stalledAt / 1048576).toFixed(1)} MiB when paused`);
  } finally {
    client?.end();
    upstream.stop(true);
  }
}, 90_000);

test("a 256 MiB upload to an upstream that stops reading: the proxy pauses the client, RSS stays bounded, every byte arrives", async () => {
  const TOTAL = 256 << 20;
  const checker = new PatternChecker(2);
  const upSplit = new HeadSplitter();
  let upSock: Socket<undefined> | null = null;
  const upstream = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        upSock = s;
      },
      data(s, b) {
        const wasComplete = upSplit.complete;
        const body = upSplit.feed(b);
        if (body === null) return;
        // Stall as soon as the head is in: the proxy must hold the client back.
        if (!wasComplete) s.pause();
        checker.add(body);
        if (checker.got === TOTAL) s.write("HTTP/1.1 204 No Content\r\n\r\n");
      },
    },
  });
  let writer: PatternWriter | null = null;
  let reply = "";
  let client: Socket<undefined> | null = null;
  try {
    const baseline = rssKiB(proxy.proc.pid);
    client = await Bun.connect({
      hostname: "127.0.0.1",
      port: proxy.ports[0]!,
      socket: {
        data(_s, b) {
          reply += Buffer.from(b).toString("latin1");
        },
        drain() {
          writer?.pump();
        },
      },
    });
    client.write(`PUT /up HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${upstream.port}\r\nContent-Length: ${TOTAL}\r\n\r\n`);
    writer = new PatternWriter(client, 2, TOTAL);
    writer.pump();
    expect(await waitFor(() => upSock !== null && upSplit.complete, 5000)).toBe(true);
    await expectHeldBack(writer, baseline);
    upSock!.resume();
    expect(await waitFor(() => reply.includes("204") || checker.bad !== -1, 60_000)).toBe(true);
    expect(checker.bad).toBe(-1);
    expect(checker.got).toBe(TOTAL);
    expect(reply).toStartWith("HTTP/1.1 204 No Content\r\n");
  } finally {
    client?.end();
    upstream.stop(true);
  }
}, 90_000);
