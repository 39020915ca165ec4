// The write side of one socket. Bun's `write` takes what the kernel accepts and returns the count;
// the rest is ours to hold. The outbox holds it, tells the caller to pause its source (`send` returns
// false), and flushes on `drain`. Memory held is bounded by what one source read can add while paused
// (upstream sockets keep that to 64 KiB until their reader has shown it keeps up, see upstream.ts),
// and what is queued is a copy of exactly the bytes left when it was queued: a view would keep the
// whole read it came from alive for as long as the peer stalls. Once queued, the copy is written
// down through views of itself, never copied again.

import { noteRelayed } from "./reclaim";
import type { ByteSocket } from "./socket";

let queuedSends = 0;

/** How many sends so far, in any outbox, had to queue: a source whose bytes were passed on with this
 * count unchanged was read as fast as it came (how upstream.ts tells a reader that keeps up). */
export function queuedSendCount(): number {
  return queuedSends;
}

/** `data` itself if it spans its whole buffer, else a copy of just its bytes. */
function own(data: Uint8Array): Uint8Array {
  return data.byteLength === data.buffer.byteLength ? data : Buffer.from(data);
}

export class Outbox {
  /** What the kernel did not take yet, in order; null while nothing waits (most sockets, most of
   * the time: an idle connection holds no array). */
  private queue: Uint8Array[] | null = null;
  /** After everything queued is written: 1 = shut down the write side (FIN), 2 = close. */
  private after: 0 | 1 | 2 = 0;
  /** Bytes handed to `send` so far (the access log's bytes out). */
  sent = 0;

  constructor(readonly socket: ByteSocket) {}

  /** Bytes are still waiting to be written. */
  get pending(): boolean {
    return this.queue !== null;
  }

  /** Writes or queues `data`; false means "queued: pause whoever produces for this socket". */
  send(data: Uint8Array): boolean {
    if (data.length === 0) return this.queue === null;
    noteRelayed(data.length);
    this.sent += data.length;
    if (this.queue !== null) {
      this.queue.push(own(data));
      queuedSends++;
      return false;
    }
    const n = this.socket.write(data);
    if (n >= data.length) return true;
    // A negative count means the socket is closed: its close handler tears everything down.
    if (n < 0) return true;
    this.queue = [own(n === 0 ? data : data.subarray(n))];
    queuedSends++;
    return false;
  }

  /** On drain: writes what is queued; true once the queue is empty. */
  flush(): boolean {
    const queue = this.queue;
    while (queue !== null && queue.length > 0) {
      const head = queue[0]!;
      const n = this.socket.write(head);
      if (n < 0) break;
      if (n < head.length) {
        // A view, not a copy: what is queued is ours already (exact size), and copying the rest on
        // every drain made a stalled reader's whole backlog into garbage once a second.
        queue[0] = head.subarray(n);
        return false;
      }
      queue.shift();
    }
    this.queue = null;
    this.finishIfDone();
    return true;
  }

  /** Half-close (send FIN) once everything queued is out. */
  shutdownWhenFlushed(): void {
    if (this.after === 0) this.after = 1;
    this.finishIfDone();
  }

  /** Close once everything queued is out. */
  closeWhenFlushed(): void {
    this.after = 2;
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.queue !== null || this.after === 0) return;
    if (this.after === 1) this.socket.shutdown();
    else this.socket.end();
  }
}
