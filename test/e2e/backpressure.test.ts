// Bounded memory: a reader that stops reading pauses the other side. The proxy runs as its own process
// so its RSS can be read while a 1 GiB response waits on a client that has stopped reading.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { rssKiB, spawnProxy, type ProxyProcess } from "../helpers/proxy-process";

const BLOCK = 64 * 1024;
const pattern = new Uint8Array(BLOCK).map((_, i) => (i * 31 + 7) & 255);
// RSS growth allowed while one side is stalled: far below the bytes in flight (1 GiB).
const MAX_GROWTH_KIB = 96 * 1024;

let proxy: ProxyProcess;
beforeAll(async () => {
  proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
});
afterAll(() => proxy.stop());

/** Writes `total` pattern bytes to `s` as fast as it accepts them, resuming on drain. */
class PatternWriter {
  sent = 0;
  constructor(
    private readonly s: Socket<any>,
    private readonly total: number,
  ) {}
  pump(): void {
    while (this.sent < this.total) {
      const off = this.sent % BLOCK;
      const n = this.s.write(pattern.subarray(off, Math.min(BLOCK, off + this.total - this.sent)));
      if (n <= 0) return;
      this.sent += n;
    }
  }
}

/** Checks received bytes against the pattern at their stream offset. */
class PatternChecker {
  got = 0;
  bad = -1;
  add(b: Uint8Array): void {
    for (let i = 0; i < b.length && this.bad === -1; ) {
      const off = (this.got + i) % BLOCK;
      const n = Math.min(BLOCK - off, b.length - i);
      if (Buffer.compare(b.subarray(i, i + n), pattern.subarray(off, off + n)) !== 0) this.bad = this.got + i;
      i += n;
    }
    this.got += b.length;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await Bun.sleep(10);
  }
  return true;
}

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
        writer = new PatternWriter(s, TOTAL);
        writer.pump();
      },
      drain() {
        writer?.pump();
      },
    },
  });
  const checker = new PatternChecker();
  let head = "";
  let client: Socket<undefined> | null = null;
  try {
    const baseline = rssKiB(proxy.proc.pid);
    client = await Bun.connect({
      hostname: "127.0.0.1",
      port: proxy.ports[0]!,
      socket: {
        data(_s, b) {
          let body: Uint8Array = b;
          if (!head.includes("\r\n\r\n")) {
            head += Buffer.from(b).toString("latin1");
            const end = head.indexOf("\r\n\r\n");
            if (end === -1) return;
            body = b.subarray(b.length - (head.length - end - 4));
            head = head.slice(0, end + 4);
          }
          checker.add(body);
        },
      },
    });
    client.write(`GET /big HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${upstream.port}\r\n\r\n`);
    expect(await waitFor(() => checker.got > 0, 5000)).toBe(true);
    client.pause();
    // Let the upstream push until every buffer between it and the stalled client is full.
    await Bun.sleep(1500);
    const stalledAt = writer!.sent;
    await Bun.sleep(500);
    const growth = rssKiB(proxy.proc.pid) - baseline;
    expect(writer!.sent - stalledAt).toBeLessThan(1 << 20);
    expect(writer!.sent).toBeLessThan(64 << 20);
    expect(growth).toBeLessThan(MAX_GROWTH_KIB);
    client.resume();
    expect(await waitFor(() => checker.got === TOTAL || checker.bad !== -1, 60_000)).toBe(true);
    expect(head).toStartWith("HTTP/1.1 200 OK\r\n");
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
  const checker = new PatternChecker();
  let upSock: Socket<undefined> | null = null;
  let upHead = "";
  const upstream = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        upSock = s;
      },
      data(s, b) {
        let body: Uint8Array = b;
        if (!upHead.includes("\r\n\r\n")) {
          upHead += Buffer.from(b).toString("latin1");
          const end = upHead.indexOf("\r\n\r\n");
          if (end === -1) return;
          body = b.subarray(b.length - (upHead.length - end - 4));
          upHead = upHead.slice(0, end + 4);
          s.pause();
        }
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
    writer = new PatternWriter(client, TOTAL);
    writer.pump();
    expect(await waitFor(() => upSock !== null && upHead.includes("\r\n\r\n"), 5000)).toBe(true);
    await Bun.sleep(1500);
    const stalledAt = writer.sent;
    await Bun.sleep(500);
    const growth = rssKiB(proxy.proc.pid) - baseline;
    expect(writer.sent - stalledAt).toBeLessThan(1 << 20);
    expect(writer.sent).toBeLessThan(64 << 20);
    expect(growth).toBeLessThan(MAX_GROWTH_KIB);
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
