// Faults on either side of the proxy process: the upstream resets before, during and after the
// response head; the client vanishes mid-upload, mid-download, while waiting for the response and
// inside a tunnel. The client never gets a truncated body passed off as complete, the other side's
// connection is closed, and the proxy's open descriptors return to where they were.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { okResponse, rawExchange, statuses, writeAll } from "../helpers/net";
import { HeadSplitter } from "../helpers/head-split";
import { PatternChecker, PatternWriter } from "../helpers/pattern";
import { fdCount } from "../helpers/proc-stats";
import { waitFor } from "../helpers/wait";
import { spawnProxy, type ProxyProcess } from "../helpers/proxy-process";
import { connectClient, waitClient } from "../helpers/raw-client";
import { trackedUpstream, type TrackedConn, type TrackedUpstream } from "../helpers/tracked-upstream";

let proxy: ProxyProcess;
let port: number;
let faults = 0;

beforeAll(async () => {
  proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
  port = proxy.ports[0]!;
});
afterAll(async () => {
  console.log(`faults: ${faults} injected and survived; proxy alive: ${proxy.proc.exitCode === null}`);
  await proxy.stop();
});

const hdr = (p: number) => `Host: x\r\nX-Cmux-Port-Internal: ${p}\r\n`;
const get = (p: number, path = "/") => `GET ${path} HTTP/1.1\r\n${hdr(p)}\r\n`;

/** Runs `body` with an upstream; afterwards the proxy holds no more descriptors than before. */
async function withUpstream(onData: (conn: TrackedConn, chunk: Uint8Array) => void, body: (up: TrackedUpstream) => Promise<void>, onDrain?: (conn: TrackedConn) => void): Promise<void> {
  const fds = fdCount(proxy.proc.pid);
  const up = trackedUpstream(onData, { keep: 4096, ...(onDrain ? { onDrain } : {}) });
  try {
    await body(up);
    faults++;
  } finally {
    up.stop();
  }
  const back = await waitFor(() => fdCount(proxy.proc.pid) <= fds, 5000, 50);
  expect({ fdsBefore: fds, fdsAfter: fdCount(proxy.proc.pid), back }).toEqual({ fdsBefore: fds, fdsAfter: expect.any(Number), back: true });
  expect(proxy.proc.exitCode).toBeNull();
}

const headDone = (c: TrackedConn) => c.received.includes("\r\n\r\n");

describe("the upstream resets", () => {
  test("before the response head: 502", async () => {
    await withUpstream(
      (c) => {
        if (headDone(c)) c.socket.terminate();
      },
      async (up) => {
        const r = await rawExchange(port, [get(up.port)]);
        expect(statuses(r.text)).toEqual([502]);
        expect(r.text).toContain("closed the connection before responding");
        expect(r.closed).toBe(true);
      },
    );
  });

  test("in the middle of the response head: 502, nothing of the partial head relayed", async () => {
    await withUpstream(
      (c) => {
        if (!headDone(c)) return;
        c.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Half: ");
        setTimeout(() => c.socket.terminate(), 50);
      },
      async (up) => {
        const r = await rawExchange(port, [get(up.port)]);
        expect(statuses(r.text)).toEqual([502]);
        expect(r.text).not.toContain("X-Half");
        expect(r.closed).toBe(true);
      },
    );
  });

  test.each([
    ["Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(100)],
    ["chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + "x".repeat(100) + "\r\n"],
  ])("after the head, in the middle of a %s body: the client connection is closed, the body stays visibly short", async (_name, partial) => {
    let conn: TrackedConn | null = null;
    await withUpstream(
      (c) => {
        if (headDone(c) && conn === null) {
          conn = c;
          c.socket.write(partial);
        }
      },
      async (up) => {
        const client = await connectClient(port);
        client.socket.write(get(up.port));
        expect(await waitClient(client, (x) => x.text.endsWith("x".repeat(100)) || x.text.endsWith("x\r\n"), 3000)).toBe(true);
        conn!.socket.terminate();
        expect(await waitClient(client, (x) => x.closedAt !== 0, 3000)).toBe(true);
        client.socket.end();
        // Exactly what the upstream sent: no terminating chunk, no padding, no error page appended.
        expect(client.text.slice(client.text.indexOf("\r\n\r\n") + 4)).toBe(partial.slice(partial.indexOf("\r\n\r\n") + 4));
      },
    );
  });

  test("after a complete response: the client has all of it and its next request is served", async () => {
    let n = 0;
    const answered = new Set<TrackedConn>();
    await withUpstream(
      (c) => {
        if (!headDone(c) || answered.has(c)) return;
        answered.add(c);
        n++;
        if (n === 1) {
          c.socket.write(okResponse("first"));
          setTimeout(() => c.socket.terminate(), 50);
        } else {
          c.socket.write(okResponse(`second on connection ${n}`, ["Connection: close"]));
        }
      },
      async (up) => {
        const r = await rawExchange(port, [get(up.port), 300, get(up.port)], { until: (s) => s.includes("second on connection") });
        expect(statuses(r.text)).toEqual([200, 200]);
        expect(r.text).toContain("\r\n\r\nfirst");
        expect(r.text).toContain("second on connection 2");
      },
    );
  });

  test("a pooled connection reset under a request with a body: 502, the body is not sent twice", async () => {
    const step = new Map<TrackedConn, number>();
    await withUpstream(
      (c) => {
        const at = step.get(c) ?? 0;
        if (at === 0 && headDone(c)) {
          step.set(c, 1);
          c.socket.write(okResponse("pooled"));
        } else if (at === 1 && c.received.includes("POST")) {
          step.set(c, 2);
          c.socket.terminate();
        }
      },
      async (up) => {
        const post = `POST /once HTTP/1.1\r\n${hdr(up.port)}Content-Length: 5\r\n\r\nhello`;
        const client = await connectClient(port);
        client.socket.write(get(up.port));
        // The POST only once the first answer is back, when its upstream connection is in the pool: a
        // fixed pause can end sooner on a busy machine, and the POST would get a fresh connection.
        expect(await waitClient(client, (x) => x.text.endsWith("pooled"), 3000)).toBe(true);
        client.socket.write(post);
        expect(await waitClient(client, (x) => statuses(x.text).length === 2, 3000)).toBe(true);
        client.socket.end();
        expect(statuses(client.text)).toEqual([200, 502]);
        expect(up.conns.map((c) => c.received.split("POST /once").length - 1).reduce((a, b) => a + b, 0)).toBe(1);
      },
    );
  });
});

describe("the client vanishes", () => {
  test.each([
    ["sends FIN", "end"],
    ["resets", "terminate"],
  ] as const)("mid-upload (%s): the upstream connection is closed", async (_name, how) => {
    await withUpstream(
      () => {},
      async (up) => {
        const client = await connectClient(port);
        client.socket.write(`PUT /up HTTP/1.1\r\n${hdr(up.port)}Content-Length: ${16 << 20}\r\n\r\n`);
        await writeAll(client.socket, new Uint8Array(1 << 20).fill(7));
        expect(await waitFor(() => up.conns[0] !== undefined && up.conns[0].bytes > 512 * 1024, 3000)).toBe(true);
        client.socket[how]();
        expect(await up.allClosed()).toBe(true);
        expect(up.conns[0]!.bytes).toBeLessThan(2 << 20);
      },
    );
  });

  test.each([
    ["sends FIN", "end"],
    ["resets", "terminate"],
  ] as const)("mid-download of 64 MiB (%s): the upstream connection is closed, its writes stop", async (_name, how) => {
    const TOTAL = 64 << 20;
    let writer: PatternWriter | null = null;
    await withUpstream(
      (c) => {
        if (writer !== null || !headDone(c)) return;
        c.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\n\r\n`);
        writer = new PatternWriter(c.socket, 1, TOTAL);
        writer.pump();
      },
      async (up) => {
        const client = await connectClient(port, 0);
        client.socket.write(get(up.port));
        expect(await waitClient(client, (x) => x.bytes > 1 << 20, 5000)).toBe(true);
        client.socket[how]();
        expect(await up.allClosed()).toBe(true);
        expect(writer!.sent).toBeLessThan(TOTAL);
      },
      () => writer?.pump(),
    );
  });

  test("while the upstream is still working on the response: the upstream connection is closed", async () => {
    await withUpstream(
      () => {},
      async (up) => {
        const client = await connectClient(port);
        client.socket.write(get(up.port));
        expect(await waitFor(() => up.conns[0] !== undefined && headDone(up.conns[0]), 3000)).toBe(true);
        client.socket.terminate();
        expect(await up.allClosed()).toBe(true);
      },
    );
  });

  test("inside a CONNECT tunnel: the upstream connection is closed", async () => {
    await withUpstream(
      (c, chunk) => {
        c.socket.write(chunk);
      },
      async (up) => {
        const client = await connectClient(port);
        client.socket.write(`CONNECT 127.0.0.1:${up.port} HTTP/1.1\r\n${hdr(up.port)}\r\nping`);
        expect(await waitClient(client, (x) => x.text.endsWith("ping"), 3000)).toBe(true);
        expect(statuses(client.text)).toEqual([200]);
        client.socket.terminate();
        expect(await up.allClosed()).toBe(true);
      },
    );
  });
});

test("a body relayed around the faults above is still byte-exact", async () => {
  const TOTAL = 8 << 20;
  let writer: PatternWriter | null = null;
  await withUpstream(
    (c) => {
      if (writer !== null || !headDone(c)) return;
      c.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\nConnection: close\r\n\r\n`);
      writer = new PatternWriter(c.socket, 2, TOTAL);
      writer.pump();
    },
    async (up) => {
      const checker = new PatternChecker(2);
      const split = new HeadSplitter();
      const client = await Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          data(_s, b) {
            const body = split.feed(b);
            if (body !== null) checker.add(body);
          },
        },
      });
      client.write(get(up.port));
      expect(await waitFor(() => checker.got >= TOTAL || checker.bad !== -1, 10_000)).toBe(true);
      client.end();
      expect(checker.bad).toBe(-1);
      expect(checker.got).toBe(TOTAL);
    },
    () => writer?.pump(),
  );
});
