// A raw TCP client that stays open for as long as a test needs it: what it received (as text, capped),
// when the peer closed it, and waits on both. For tests that hold many connections at once.

import type { Socket } from "bun";

export interface RawClient {
  socket: Socket<RawClient>;
  /** Received bytes as latin1, at most `keep` of them. */
  text: string;
  bytes: number;
  /** performance.now() of the last byte received, or of the connect. */
  lastDataAt: number;
  /** performance.now() when the peer ended or closed the connection, or 0. */
  closedAt: number;
  /** Set by `data`: wakes whoever waits. */
  wake: () => void;
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
        c.wake();
      },
      end(s) {
        if (s.data.closedAt === 0) s.data.closedAt = performance.now();
        s.data.wake();
      },
      close(s) {
        if (s.data.closedAt === 0) s.data.closedAt = performance.now();
        s.data.wake();
      },
      error() {
        // `close` follows.
      },
    },
  });
  const c: RawClient = { socket, text: "", bytes: 0, lastDataAt: performance.now(), closedAt: 0, wake: () => {} };
  socket.data = c;
  return c;
}

/** Waits until `cond(client)` holds or the client is closed; false after `ms`. */
export async function waitClient(c: RawClient, cond: (c: RawClient) => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond(c)) {
    if (c.closedAt !== 0) return cond(c);
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((r) => {
      const t = setTimeout(r, Math.min(left, 50));
      c.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }
  return true;
}
