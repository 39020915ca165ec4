// Test plumbing: an in-process proxy on an ephemeral loopback port, raw TCP clients that return the
// exact bytes they got, and a raw upstream that records the exact bytes it received.

import type { Socket, TCPSocketListener } from "bun";
import { DEFAULT_LIMITS, type Config, type Limits } from "../../src/config";
import { configureLog } from "../../src/log";
import { startProxy, type RunningProxy } from "../../src/server";
import { Wake, waitFor } from "./wait";

export interface TestProxy {
  port: number;
  proxy: RunningProxy;
  stop(): Promise<void>;
}

// The proxy's own log lines would drown the test report; CMUX_TEST_LOG=debug brings them back.
configureLog((process.env.CMUX_TEST_LOG as "debug" | undefined) ?? "silent", false);

export function startTestProxy(limits: Partial<Limits> = {}, upstreamHost = "127.0.0.1", more: Partial<Config> = {}): TestProxy {
  const proxy = startProxy({
    listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
    upstreamHost,
    limits: { ...DEFAULT_LIMITS, ...limits },
    ...more,
  });
  if (typeof proxy === "string") throw new Error(proxy);
  return { port: proxy.addresses[0]!.port, proxy, stop: () => proxy.stop(false) };
}

export interface RawResult {
  bytes: Buffer;
  text: string;
  /** The peer closed the connection (as opposed to the wait ending on `until` or the timeout). */
  closed: boolean;
  timedOut: boolean;
}

export interface RawOptions {
  /** Stop waiting once the received text satisfies this. */
  until?: (text: string) => boolean;
  timeoutMs?: number;
  /** Half-close our side after sending. */
  shutdown?: boolean;
}

/** A port free right now on 127.0.0.1: bind 0, read it, release it. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** Opens a TCP connection, sends `chunks` (each a separate write, `number` = pause in ms), collects. */
export async function rawExchange(port: number, chunks: (string | Uint8Array | number)[], opts: RawOptions = {}): Promise<RawResult> {
  const received: Buffer[] = [];
  let closed = false;
  const wake = new Wake();
  const text = () => Buffer.concat(received).toString("latin1");
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen: true,
    socket: {
      data(_s, b) {
        received.push(Buffer.from(b));
        wake.notify();
      },
      close() {
        closed = true;
        wake.notify();
      },
      end() {
        closed = true;
        wake.notify();
      },
    },
  });
  for (const c of chunks) {
    if (typeof c === "number") await Bun.sleep(c);
    else await writeAll(sock, typeof c === "string" ? Buffer.from(c, "latin1") : c);
  }
  if (opts.shutdown) sock.shutdown();
  const timedOut = !(await waitFor(() => closed || (opts.until?.(text()) ?? false), opts.timeoutMs ?? 5000, 100, wake));
  const peerClosed = closed;
  sock.end();
  const bytes = Buffer.concat(received);
  return { bytes, text: bytes.toString("latin1"), closed: peerClosed, timedOut };
}

/** Writes all of `data`, waiting for the socket to drain as needed. */
export async function writeAll(sock: Socket<any>, data: Uint8Array): Promise<void> {
  let off = 0;
  for (let spins = 0; off < data.length; spins++) {
    if (spins > 100_000) throw new Error("writeAll: peer stopped reading");
    const n = sock.write(data.subarray(off));
    if (n < 0) throw new Error("writeAll: socket closed");
    off += n;
    if (off < data.length) await Bun.sleep(1);
  }
}

export interface UpstreamConn {
  socket: Socket<UpstreamConn>;
  received: string;
  ended: boolean;
}

/**
 * A raw upstream server. `onData` sees each connection's accumulated bytes (latin1) after every
 * read and may answer through `conn.socket`; everything any connection received stays in `conns`.
 */
export function rawUpstream(onData: (conn: UpstreamConn) => void, onEnd?: (conn: UpstreamConn) => void, hostname = "127.0.0.1") {
  const conns: UpstreamConn[] = [];
  const listener: TCPSocketListener<UpstreamConn> = Bun.listen<UpstreamConn>({
    hostname,
    port: 0,
    allowHalfOpen: true,
    socket: {
      open(s) {
        s.data = { socket: s, received: "", ended: false };
        conns.push(s.data);
      },
      data(s, b) {
        s.data.received += Buffer.from(b).toString("latin1");
        onData(s.data);
      },
      end(s) {
        s.data.ended = true;
        onEnd?.(s.data);
      },
    },
  });
  return {
    port: listener.port,
    conns,
    /** Everything every connection received, in connection order. */
    all: () => conns.map((c) => c.received).join(""),
    stop: () => listener.stop(true),
  };
}

/** Complete requests at the start of `text` (CL bodies only, enough for upstream scripts). */
export function completeRequests(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) return out;
    const head = rest.slice(0, end + 4);
    const cl = /\r\ncontent-length: *([0-9]+)/i.exec(head);
    const len = cl ? Number(cl[1]) : 0;
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      // The last chunk, optional trailers, the empty line (good enough for test bodies).
      const m = /(^|\r\n)0(;[^\r]*)?\r\n([^\r]+\r\n)*\r\n/.exec(rest.slice(end + 4));
      if (m === null) return out;
      const stop = end + 4 + m.index + m[0].length;
      out.push(rest.slice(0, stop));
      rest = rest.slice(stop);
      continue;
    }
    if (rest.length < end + 4 + len) return out;
    out.push(rest.slice(0, end + 4 + len));
    rest = rest.slice(end + 4 + len);
  }
}

/**
 * The `onData` of an upstream (rawUpstream or trackedUpstream) that answers each complete request on
 * a connection once, in order, with `respond(request, n)`: n counts from 1 per connection, and the
 * default answer is a 200 with the body `ok <n>`.
 */
export function answerEach(respond: (req: string, n: number) => string = (_req, n) => okResponse(`ok ${n}`)) {
  const answered = new WeakMap<object, number>();
  return (conn: { received: string; socket: { write(data: string): number } }): void => {
    const reqs = completeRequests(conn.received);
    let n = answered.get(conn) ?? 0;
    for (; n < reqs.length; n++) conn.socket.write(respond(reqs[n]!, n + 1));
    answered.set(conn, n);
  };
}

/** `HTTP/1.1 200 OK` with Content-Length and the given extra header lines. */
export function okResponse(body: string, extra: string[] = []): string {
  return ["HTTP/1.1 200 OK", `Content-Length: ${Buffer.byteLength(body, "latin1")}`, ...extra, "", body].join("\r\n");
}

/** Splits a raw stream of responses into status codes, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
