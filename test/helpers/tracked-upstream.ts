// A raw upstream that also records how each connection ended: a FIN from the proxy (`ended`, answered
// with a FIN as most servers do), the socket going away for any reason, reset included (`closed`).
// Fault tests need the second: a proxy that drops a connection with unread data in its buffers resets
// it rather than sending a FIN.

import type { Socket, TCPSocketListener } from "bun";
import { waitFor } from "./wait";

export interface TrackedConn {
  socket: Socket<TrackedConn>;
  received: string;
  /** Bytes received in total (bodies may be counted without being kept). */
  bytes: number;
  ended: boolean;
  closed: boolean;
}

export interface TrackedUpstream {
  port: number;
  conns: TrackedConn[];
  /** Connections not closed yet. */
  open(): number;
  /** Resolves true once every connection seen so far is closed, false after `ms`. */
  allClosed(ms?: number): Promise<boolean>;
  stop(): void;
}

export interface TrackedOptions {
  /** Keep at most this many received bytes per connection in `received` (the rest is only counted). */
  keep?: number;
  onOpen?: (conn: TrackedConn) => void;
  onDrain?: (conn: TrackedConn) => void;
}

export function trackedUpstream(onData: (conn: TrackedConn, chunk: Uint8Array) => void, opts: TrackedOptions = {}): TrackedUpstream {
  const conns: TrackedConn[] = [];
  const keep = opts.keep ?? Infinity;
  const listener: TCPSocketListener<TrackedConn> = Bun.listen<TrackedConn>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      open(s) {
        s.data = { socket: s, received: "", bytes: 0, ended: false, closed: false };
        conns.push(s.data);
        opts.onOpen?.(s.data);
      },
      data(s, b) {
        s.data.bytes += b.length;
        if (s.data.received.length < keep) s.data.received += Buffer.from(b.subarray(0, keep - s.data.received.length)).toString("latin1");
        onData(s.data, b);
      },
      drain(s) {
        opts.onDrain?.(s.data);
      },
      end(s) {
        // Like most servers: the client's FIN ends the connection.
        s.data.ended = true;
        s.end();
      },
      close(s) {
        s.data.closed = true;
      },
      error() {
        // `close` follows.
      },
    },
  });
  return {
    port: listener.port,
    conns,
    open: () => conns.filter((c) => !c.closed).length,
    allClosed: (ms = 3000) => waitFor(() => conns.every((c) => c.closed), ms, 10),
    stop: () => listener.stop(true),
  };
}
