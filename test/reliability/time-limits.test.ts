// docs/http-behaviour.md rows 34-37 (time and resources) against the proxy as a real process,
// with short limits set by its flags: slowloris is cut at the head timeout while others are served,
// a silent upstream is a 504 at the first-byte timeout, idle keep-alive connections are held until
// the idle timeout and closed after it. Row 36 (a client that stops reading a large response: the
// upstream is paused, RSS stays bounded) is test/e2e/backpressure.test.ts; the 1 MiB/s reader of a
// 1 GiB response is in test/reliability/heavy.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { answerEach, okResponse, rawExchange, statuses, writeAll } from "../helpers/net";
import { fdCount } from "../helpers/proc-stats";
import { waitFor } from "../helpers/wait";
import { spawnProxy, type ProxyProcess } from "../helpers/proxy-process";
import { connectClient, waitClient, type RawClient } from "../helpers/raw-client";
import { trackedUpstream, type TrackedConn, type TrackedUpstream } from "../helpers/tracked-upstream";

const HEAD_TIMEOUT = 2;
const IDLE_TIMEOUT = 3;
const UPSTREAM_TIMEOUT = 1.5;
// The deadline sweeper ticks every 250 ms; a loaded 2-core CI machine adds its own lateness.
const LATE_MS = 1200;

let proxy: ProxyProcess;
let port: number;
let up: TrackedUpstream;
let baselineFds: number;

beforeAll(async () => {
  proxy = await spawnProxy([
    "--listen", "127.0.0.1:0",
    "--head-timeout", String(HEAD_TIMEOUT),
    "--idle-timeout", String(IDLE_TIMEOUT),
    "--upstream-timeout", String(UPSTREAM_TIMEOUT),
  ]);
  port = proxy.ports[0]!;
  up = trackedUpstream(answerEach());
  baselineFds = fdCount(proxy.proc.pid);
});
afterAll(async () => {
  up.stop();
  await proxy.stop();
});

const get = (path: string, p = up.port) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${p}\r\n\r\n`;

/** One request on a fresh connection: its status and how long it took. */
async function timedGet(path: string): Promise<{ status: number | undefined; ms: number }> {
  const t0 = performance.now();
  const r = await rawExchange(port, [get(path)], { until: (s) => /\r\n\r\nok \d+$/.test(s), timeoutMs: 3000 });
  return { status: statuses(r.text)[0], ms: performance.now() - t0 };
}

describe("row 34: slowloris", () => {
  test("clients sending one header byte per second are answered 408 and closed at the head timeout; others are served meanwhile", async () => {
    const DRIBBLERS = 20;
    const head = get("/slow");
    const clients: { c: RawClient; firstByteAt: number; sent: number }[] = [];
    for (let i = 0; i < DRIBBLERS; i++) clients.push({ c: await connectClient(port), firstByteAt: 0, sent: 0 });
    const drip = setInterval(() => {
      for (const d of clients) {
        if (d.c.closedAt !== 0 || d.sent >= head.length - 2) continue;
        if (d.sent === 0) d.firstByteAt = performance.now();
        d.c.socket.write(head[d.sent++]!);
      }
    }, 1000);
    // The first drip happens at once, not after a second.
    for (const d of clients) {
      d.firstByteAt = performance.now();
      d.c.socket.write(head[d.sent++]!);
    }
    const served: { status: number | undefined; ms: number }[] = [];
    try {
      const until = performance.now() + (HEAD_TIMEOUT * 1000 + LATE_MS);
      while (performance.now() < until) {
        served.push(await timedGet("/meanwhile"));
        await Bun.sleep(150);
      }
      expect(await waitFor(() => clients.every((d) => d.c.closedAt !== 0), 2000)).toBe(true);
    } finally {
      clearInterval(drip);
      for (const d of clients) d.c.socket.end();
    }
    for (const d of clients) {
      const heldMs = d.c.closedAt - d.firstByteAt;
      expect(statuses(d.c.text)).toEqual([408]);
      expect(d.sent).toBeLessThan(HEAD_TIMEOUT + 3);
      expect(heldMs).toBeGreaterThanOrEqual(HEAD_TIMEOUT * 1000 - 50);
      expect(heldMs).toBeLessThan(HEAD_TIMEOUT * 1000 + LATE_MS);
    }
    expect(served.length).toBeGreaterThan(5);
    expect(served.every((s) => s.status === 200)).toBe(true);
    expect(Math.max(...served.map((s) => s.ms))).toBeLessThan(1000);
    expect(up.conns.every((c) => !c.received.includes("/slow"))).toBe(true);
    console.log(`slowloris: ${DRIBBLERS} dribbling clients cut at ${HEAD_TIMEOUT}s (held ${Math.round(Math.min(...clients.map((d) => d.c.closedAt - d.firstByteAt)))}-${Math.round(Math.max(...clients.map((d) => d.c.closedAt - d.firstByteAt)))} ms); ${served.length} other requests served meanwhile, slowest ${Math.round(Math.max(...served.map((s) => s.ms)))} ms`);
  }, 20_000);
});

describe("row 35: an upstream that never answers", () => {
  test.each([
    ["accepts and reads but never answers", (_c: unknown) => ""],
    ["sends half a response head, then nothing", (_c: unknown) => "HTTP/1.1 200 OK\r\nContent-Le"],
  ])("%s: 504 after the first-byte timeout, the upstream connection is closed", async (_name, reply) => {
    const silent = trackedUpstream((conn) => {
      if (conn.received.endsWith("\r\n\r\n")) {
        const r = reply(conn);
        if (r !== "") conn.socket.write(r);
      }
    });
    try {
      const t0 = performance.now();
      const r = await rawExchange(port, [get("/silent", silent.port)], { timeoutMs: UPSTREAM_TIMEOUT * 1000 + 3000 });
      const ms = performance.now() - t0;
      expect(statuses(r.text)).toEqual([504]);
      expect(r.text).toContain(`did not answer within ${UPSTREAM_TIMEOUT}s`);
      expect(r.closed).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT * 1000 - 50);
      expect(ms).toBeLessThan(UPSTREAM_TIMEOUT * 1000 + LATE_MS);
      expect(await silent.allClosed()).toBe(true);
    } finally {
      silent.stop();
    }
  });

  test("an upload slower than the first-byte timeout is not a stall: the clock starts once the request is out", async () => {
    const echo = trackedUpstream((conn) => {
      if (conn.received.endsWith("tail")) conn.socket.write(okResponse("got it"));
    });
    try {
      const head = `POST /up HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${echo.port}\r\nContent-Length: 24\r\n\r\n`;
      // 20 bytes over 2.5 s (> the 1.5 s first-byte timeout), then the last 4.
      const parts: (string | number)[] = [head];
      for (let i = 0; i < 5; i++) parts.push("body", 500);
      parts.push("tail");
      const r = await rawExchange(port, parts, { until: (s) => s.endsWith("got it") });
      expect(statuses(r.text)).toEqual([200]);
    } finally {
      echo.stop();
    }
  });
});

describe("a client that stops sending its request body", () => {
  test("is answered 408 and closed once nothing has arrived for the idle timeout; the upstream connection is closed", async () => {
    const sink = trackedUpstream(() => {});
    try {
      const client = await connectClient(port);
      client.socket.write(`POST /stall HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${sink.port}\r\nContent-Length: 100\r\n\r\nhalf`);
      const t0 = performance.now();
      expect(await waitClient(client, (c) => c.closedAt !== 0, IDLE_TIMEOUT * 1000 + LATE_MS + 1000)).toBe(true);
      client.socket.end();
      expect(statuses(client.text)).toEqual([408]);
      expect(client.closedAt - t0).toBeGreaterThanOrEqual(IDLE_TIMEOUT * 1000 - 50);
      expect(client.closedAt - t0).toBeLessThan(IDLE_TIMEOUT * 1000 + LATE_MS);
      expect(await sink.allClosed()).toBe(true);
    } finally {
      sink.stop();
    }
  }, 10_000);

  test("is not blamed when the upstream is the one not reading", async () => {
    const TOTAL = 32 << 20;
    let stalled: TrackedConn | null = null;
    const slow = trackedUpstream(
      (conn) => {
        if (stalled === null) {
          // Take the head and the first bytes, then stop reading for longer than the idle timeout.
          stalled = conn;
          conn.socket.pause();
          setTimeout(() => conn.socket.resume(), IDLE_TIMEOUT * 1000 + 1000);
        }
        if (conn.bytes >= TOTAL) conn.socket.write(okResponse("all of it"));
      },
      { keep: 1024 },
    );
    try {
      const client = await connectClient(port);
      client.socket.write(`PUT /big HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${slow.port}\r\nContent-Length: ${TOTAL}\r\n\r\n`);
      await writeAll(client.socket, new Uint8Array(TOTAL));
      expect(await waitClient(client, (c) => c.text.endsWith("all of it"), 10_000)).toBe(true);
      expect(statuses(client.text)).toEqual([200]);
      client.socket.end();
    } finally {
      slow.stop();
    }
  }, 15_000);
});

describe("row 37: idle keep-alive connections", () => {
  test("2,000 idle keep-alive connections are held within the idle timeout and closed after it", async () => {
    const N = 2000;
    const SAMPLE = 50;
    const clients: RawClient[] = [];
    const fdsBefore = fdCount(proxy.proc.pid);
    try {
      for (let batch = 0; batch < N; batch += 200) {
        const opened = await Promise.all(Array.from({ length: Math.min(200, N - batch) }, () => connectClient(port)));
        for (const c of opened) c.socket.write(get("/idle"));
        const ok = await Promise.all(opened.map((c) => waitClient(c, (x) => /ok \d+$/.test(x.text), 5000)));
        expect(ok.every(Boolean)).toBe(true);
        clients.push(...opened);
      }
      const lastAnswer = Math.max(...clients.map((c) => c.lastDataAt));
      const firstAnswer = Math.min(...clients.map((c) => c.lastDataAt));
      // Within the idle timeout: every connection is still open on both sides and still usable.
      await Bun.sleep(Math.max(0, firstAnswer + (IDLE_TIMEOUT * 1000) / 2 - performance.now()));
      expect(clients.filter((c) => c.closedAt !== 0).length).toBe(0);
      const held = fdCount(proxy.proc.pid) - fdsBefore;
      expect(held).toBeGreaterThanOrEqual(N);
      const sample = clients.slice(0, SAMPLE);
      const before = sample.map((c) => c.text.length);
      for (const c of sample) c.socket.write(get("/again"));
      expect((await Promise.all(sample.map((c, i) => waitClient(c, (x) => x.text.length > before[i]! && /ok \d+$/.test(x.text), 3000)))).every(Boolean)).toBe(true);
      // After it: all closed by the proxy, each no earlier than the idle timeout after its last answer.
      expect(await waitFor(() => clients.every((c) => c.closedAt !== 0), lastAnswer + IDLE_TIMEOUT * 1000 + LATE_MS + 2000 - performance.now())).toBe(true);
      const idleMs = clients.map((c) => c.closedAt - c.lastDataAt);
      expect(Math.min(...idleMs)).toBeGreaterThanOrEqual(IDLE_TIMEOUT * 1000 - 50);
      expect(Math.max(...idleMs)).toBeLessThan(IDLE_TIMEOUT * 1000 + LATE_MS);
      console.log(`idle keep-alive: ${N} connections held (+${held} fds in the proxy), closed ${Math.round(Math.min(...idleMs))}-${Math.round(Math.max(...idleMs))} ms after their last response (idle timeout ${IDLE_TIMEOUT}s)`);
    } finally {
      for (const c of clients) c.socket.end();
    }
    // Client sockets are gone at once; pooled upstream connections within their 4 s pool timeout.
    expect(await waitFor(() => fdCount(proxy.proc.pid) <= baselineFds + 2, 8000, 100)).toBe(true);
  }, 40_000);
});
