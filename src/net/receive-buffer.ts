// A socket's kernel receive buffer, set through libc: Bun has no option for it. Bun hands the `data`
// handler whatever one read returns, up to 512 KiB, and nothing stops that read part-way: a slow
// client's share of it waits in our memory. The kernel never holds more than the receive buffer
// for us, so a small one bounds every read, and what a stalled client can make us hold with it.
// The price is throughput (a small window, many small reads), so a connection whose reader has kept
// up can hand its buffer back to the kernel's autotuning. Shrinking a buffer again is no way back:
// the kernel never takes back window it has announced, and drops what arrives beyond the new size.

import type { Socket } from "bun";
import { log } from "../log";

interface Libc {
  setsockopt(fd: number, level: number, name: number, value: Int32Array, size: number): number;
}

const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
/** Which of the buffer sizes are fixed by the application (Linux 5.14+); 0 = both left to autotuning. */
const SO_BUF_LOCK = 72;

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

function setOption(socket: Socket<any>, name: number, to: number): void {
  if (libc === undefined) libc = load();
  // Bun's sockets carry their descriptor as `fd`, which its type declarations leave out.
  const fd = (socket as unknown as { fd?: number }).fd;
  if (libc === null || fd === undefined || fd < 0) return;
  value[0] = to;
  libc.setsockopt(fd, SOL_SOCKET, name, value, 4);
}

/** Asks the kernel for a receive buffer of `bytes` (it doubles the figure for its own bookkeeping);
 * the size then stays fixed: autotuning leaves it alone. */
export function limitReceiveBuffer(socket: Socket<any>, bytes: number): void {
  setOption(socket, SO_RCVBUF, bytes);
}

/** Hands the receive buffer back to autotuning, which grows it (and the window) from its current
 * size as fast as the application reads. A kernel older than 5.14 refuses: the buffer stays small. */
export function freeReceiveBuffer(socket: Socket<any>): void {
  setOption(socket, SO_BUF_LOCK, 0);
}
