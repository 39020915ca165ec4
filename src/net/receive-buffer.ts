// A socket's kernel receive buffer, set through libc: Bun has no option for it. Bun hands the `data`
// handler whatever one read returns, up to 512 KiB, and nothing stops that read part-way: a slow
// client's share of it waits in our memory. The kernel never holds more than the receive buffer
// for us, so a small one bounds every read, and what a stalled client can make us hold with it.

import type { Socket } from "bun";
import { log } from "../log";

interface Libc {
  setsockopt(fd: number, level: number, name: number, value: Int32Array, size: number): number;
}

const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

let libc: Libc | null | undefined;

function load(): Libc | null {
  try {
    // Loaded on first use: bun:ffi compiles its call stubs when the library is opened (~3 ms).
    const { dlopen, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const lib = dlopen("libc.so.6", { setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" } });
    return { setsockopt: (fd, level, name, value, size) => lib.symbols.setsockopt(fd, level, name, ptr(value), size) };
  } catch (e) {
    log.warn(`cannot size socket receive buffers (${(e as Error).message}): a slow client may hold up to 512 KiB of proxy memory`);
    return null;
  }
}

const value = new Int32Array(1);

/** Asks the kernel for a receive buffer of `bytes` (it doubles the figure for its own bookkeeping). */
export function limitReceiveBuffer(socket: Socket<any>, bytes: number): void {
  if (libc === undefined) libc = load();
  // Bun's sockets carry their descriptor as `fd`, which its type declarations leave out.
  const fd = (socket as unknown as { fd?: number }).fd;
  if (libc === null || fd === undefined || fd < 0) return;
  value[0] = bytes;
  libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, value, 4);
}
