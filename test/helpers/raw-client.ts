// A raw TCP client that stays open for as long as a test needs it: what it received (as text, capped),
// when the peer closed it, and waits on both. For tests that hold many connections at once.

import type { Socket } from "bun";
import { Wake, waitFor } from "./wait";

export interface RawClient {
  socket: Socket<RawClient>;
  /** Received bytes as latin1, at most `keep` of them. */
  text: string;
  bytes: number;
  /** performance.now() of the last byte received, or of the connect. */
  lastDataAt: number;
  /** performance.now() when the peer ended or closed the connection, or 0. */
  closedAt: number;
  /** Notified on every byte and on the close: wakes whoever waits. */
  wake: Wake;
}

export async function connectClient(port: number, keep = 1 << 16): Promise<RawClient> {
  const socket = await Bun.connect<RawClient>({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen: true,
    socket: {
      data(s, b) {
        const c = s.data;
        c.bytes += b.length;
        c.lastDataAt = performance.now();
        if (c.text.length < keep) c.text += Buffer.from(b.subarray(0, keep - c.text.length)).toString("latin1");
        c.wake.notify();
      },
      end(s) {
        if (s.data.closedAt === 0) s.data.closedAt = performance.now();
        s.data.wake.notify();
      },
      close(s) {
        if (s.data.closedAt === 0) s.data.closedAt = performance.now();
        s.data.wake.notify();
      },
      error() {
        // `close` follows.
      },
    },
  });
  const c: RawClient = { socket, text: "", bytes: 0, lastDataAt: performance.now(), closedAt: 0, wake: new Wake() };
  socket.data = c;
  return c;
}

/** Waits until `cond(client)` holds or the client is closed; false after `ms`. */
export async function waitClient(c: RawClient, cond: (c: RawClient) => boolean, ms: number): Promise<boolean> {
  await waitFor(() => cond(c) || c.closedAt !== 0, ms, 50, c.wake);
  return cond(c);
}
