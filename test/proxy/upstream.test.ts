// The upstream socket's receive buffer over real loopback sockets (README "Slow readers"): small
// when the connection opens, handed to the kernel's autotuning once its reader has taken enough
// full reads at once, kept small for a reader that stalls, and autotuned on at most MAX_WIDE
// connections. What the kernel holds is read back with getsockopt, not from our own flags.

import { afterAll, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { dlopen, ptr } from "bun:ffi";
import { Deadlines } from "../../src/net/deadlines";
import { Outbox } from "../../src/net/outbox";
import { MAX_WIDE, UpstreamPool, WIDEN_AFTER_BYTES, type Upstream, type UpstreamOwner } from "../../src/proxy/upstream";
import { FakeSocket } from "../helpers/fake-socket";
import { Wake, waitFor } from "../helpers/wait";

const libc = dlopen("libc.so.6", { getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" } });
const SOL_SOCKET = 1;
const SO_BUF_LOCK = 72;
const SOCK_RCVBUF_LOCK = 2;

/** The kernel still keeps this socket's receive buffer at the size we set (autotuning is off). */
function receiveBufferFixed(up: Upstream): boolean {
  const value = new Int32Array(1);
  const size = new Uint32Array([4]);
  const fd = (up.socket as unknown as { fd: number }).fd;
  expect(libc.symbols.getsockopt(fd, SOL_SOCKET, SO_BUF_LOCK, ptr(value), ptr(size))).toBe(0);
  return (value[0]! & SOCK_RCVBUF_LOCK) !== 0;
}

const RESPONSE_BYTES = 2 * WIDEN_AFTER_BYTES + 64 * 1024;
const body = Buffer.alloc(RESPONSE_BYTES, "x");
/** Every connection gets the body, written as fast as the kernel takes it, then silence. */
const server: TCPSocketListener<{ off: number }> = Bun.listen<{ off: number }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.data = { off: 0 };
      push(s);
    },
    drain: push,
    data() {},
  },
});
function push(s: Socket<{ off: number }>): void {
  while (s.data.off < body.length) {
    const n = s.write(body.subarray(s.data.off));
    if (n <= 0) return;
    s.data.off += n;
  }
}
const pool = new UpstreamPool(new Deadlines(), 4, 8, null, 60);
afterAll(() => server.stop(true));

/** Relays the upstream's bytes to a client that holds `capacity` bytes and never reads more, pausing
 * the upstream when they queue, as the connection does. */
class Relay implements UpstreamOwner {
  readonly out: Outbox;
  received = 0;
  readonly wake = new Wake();
  constructor(capacity: number) {
    this.out = new Outbox(new FakeSocket(capacity));
  }
  onUpstreamData(up: Upstream, buf: Buffer): void {
    this.received += buf.length;
    if (!this.out.send(buf)) up.socket.pause();
    this.wake.notify();
  }
  onUpstreamDrain(): void {}
  onUpstreamEnd(): void {}
  onUpstreamClose(): void {}
}

async function relayed(capacity: number, until: (r: Relay) => boolean): Promise<[Upstream, Relay]> {
  const relay = new Relay(capacity);
  const up = await pool.connect({ host: "127.0.0.1", port: server.port }, relay);
  expect(await waitFor(() => until(relay), 5000, 20, relay.wake)).toBe(true);
  return [up, relay];
}

test.each([
  { reader: "takes every byte at once", capacity: Infinity, autotuned: true },
  { reader: "holds 16 KiB and stops reading", capacity: 16 * 1024, autotuned: false },
])("a reader that $reader: autotuned receive buffer afterwards is $autotuned", async ({ capacity, autotuned }) => {
  const [up, relay] = await relayed(capacity, (r) => (capacity === Infinity ? r.received === RESPONSE_BYTES : r.out.pending));
  try {
    expect(receiveBufferFixed(up)).toBe(!autotuned);
    expect(up.wide).toBe(autotuned);
    // The stalled reader's upstream stays paused on a small buffer: nothing more arrives.
    if (!autotuned) expect(await waitFor(() => relay.received > WIDEN_AFTER_BYTES, 300)).toBe(false);
  } finally {
    up.close();
  }
});

test(`at most ${MAX_WIDE} connections are autotuned; a closed one frees its place`, async () => {
  const ups: Upstream[] = [];
  try {
    for (let i = 0; i <= MAX_WIDE; i++) ups.push((await relayed(Infinity, (r) => r.received === RESPONSE_BYTES))[0]);
    expect(ups.filter((up) => !receiveBufferFixed(up)).length).toBe(MAX_WIDE);
    expect(receiveBufferFixed(ups[MAX_WIDE]!)).toBe(true);
    expect(pool.wide).toBe(MAX_WIDE);
    ups.shift()!.close();
    expect(await waitFor(() => pool.wide === MAX_WIDE - 1, 2000)).toBe(true);
    const [next] = await relayed(Infinity, (r) => r.received === RESPONSE_BYTES);
    ups.push(next);
    expect(receiveBufferFixed(next)).toBe(false);
  } finally {
    for (const up of ups) up.close();
  }
  expect(await waitFor(() => pool.wide === 0, 2000)).toBe(true);
});
