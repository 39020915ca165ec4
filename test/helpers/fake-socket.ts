// A ByteSocket with no kernel behind it, for unit tests of the socket plumbing: it keeps every byte
// written, can take fewer bytes than offered (a small send buffer the test drains by hand, as a
// peer reading would), and records the pause/resume/end/shutdown/terminate calls made on it.

import type { ByteSocket } from "../../src/net/socket";

export type SocketCall = "pause" | "resume" | "end" | "shutdown" | "terminate";

export class FakeSocket implements ByteSocket {
  readonly calls: SocketCall[] = [];
  /** Reading is paused (pause called more recently than resume). */
  paused = false;
  /** end, shutdown or terminate was called: the write side is gone. */
  writeClosed = false;
  /** Writes attempted after the write side was gone; the proxy should never make one. */
  writesAfterClose = 0;
  private readonly chunks: Uint8Array[] = [];
  private readUpTo = 0;
  private buffered = 0;

  /** `capacity`: bytes the send buffer holds until `drainKernel` (Infinity: never a short write). */
  constructor(
    public capacity = Infinity,
    readonly remoteAddress = "127.0.0.1",
    readonly localPort = 8080,
  ) {}

  write(data: Uint8Array): number {
    if (this.writeClosed) {
      this.writesAfterClose++;
      return -1;
    }
    const n = Math.min(data.length, this.capacity - this.buffered);
    if (n <= 0) return 0;
    // A copy: the caller may reuse its buffer once write returns.
    this.chunks.push(data.slice(0, n));
    this.buffered += n;
    return n;
  }

  pause(): void {
    this.calls.push("pause");
    this.paused = true;
  }

  resume(): void {
    this.calls.push("resume");
    this.paused = false;
  }

  end(): void {
    this.calls.push("end");
    this.writeClosed = true;
  }

  shutdown(): void {
    this.calls.push("shutdown");
    this.writeClosed = true;
  }

  terminate(): void {
    this.calls.push("terminate");
    this.writeClosed = true;
  }

  /** The peer read everything sent: the send buffer is empty again (the owner's drain event is the
   * test's to deliver). */
  drainKernel(): void {
    this.buffered = 0;
  }

  /** Every byte the socket accepted, in order. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Everything accepted, as latin1 text. */
  text(): string {
    return this.bytes().toString("latin1");
  }

  /** What was accepted since the last `read`, as latin1 text. */
  read(): string {
    const all = this.text();
    const out = all.slice(this.readUpTo);
    this.readUpTo = all.length;
    return out;
  }

  /** The first call that closed the write side (end, shutdown or terminate), or null. */
  closedBy(): SocketCall | null {
    return this.calls.find((c) => c === "end" || c === "shutdown" || c === "terminate") ?? null;
  }
}
