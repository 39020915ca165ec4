// Moves bytes both ways between two sockets until both directions are finished: backpressure (a
// short write pauses the sending side until the receiver drains), half-close (EOF one way is passed
// on as a FIN while the other way keeps flowing), and close or error on either side closes both.

import { Outbox } from "./outbox";
import type { ByteSocket } from "./socket";

/** The events of a socket, as the socket handlers deliver them to whoever owns it. */
export interface SocketEvents {
  onData(buf: Uint8Array): void;
  onDrain(): void;
  onEnd(): void;
  onClose(): void;
}

/**
 * Once a tunnel starts it owns both sockets' events: side 0's (the client's) through `SocketEvents`,
 * side 1's (the upstream's) through the `onUpstream*` methods the upstream pool calls its owner with.
 */
export class Splice implements SocketEvents {
  private readonly ended = [false, false];
  private closed = false;

  /** `outs[i]` writes to socket i; `onClosed` runs once when the splice is over. */
  constructor(
    private readonly outs: [Outbox, Outbox],
    private readonly onClosed: () => void,
  ) {}

  private other(side: 0 | 1): 0 | 1 {
    return side === 0 ? 1 : 0;
  }

  private socket(side: 0 | 1): ByteSocket {
    return this.outs[side].socket;
  }

  onData(buf: Uint8Array): void {
    this.data(0, buf);
  }
  onDrain(): void {
    this.drain(0);
  }
  onEnd(): void {
    this.end(0);
  }
  onClose(): void {
    this.close(0);
  }
  onUpstreamData(_up: unknown, buf: Uint8Array): void {
    this.data(1, buf);
  }
  onUpstreamDrain(): void {
    this.drain(1);
  }
  onUpstreamEnd(): void {
    this.end(1);
  }
  onUpstreamClose(): void {
    this.close(1);
  }

  data(from: 0 | 1, buf: Uint8Array): void {
    if (this.closed) return;
    if (!this.outs[this.other(from)].send(buf)) this.socket(from).pause();
  }

  drain(side: 0 | 1): void {
    // Flush even after close: a pending closeWhenFlushed completes here.
    if (this.outs[side].flush() && !this.closed) this.socket(this.other(side)).resume();
  }

  /** `side` sent FIN: pass it on once its bytes are out; both directions done closes the splice. */
  end(side: 0 | 1): void {
    if (this.closed || this.ended[side]) return;
    this.ended[side] = true;
    if (this.ended[0] && this.ended[1]) {
      this.outs[0].closeWhenFlushed();
      this.outs[1].closeWhenFlushed();
    } else {
      this.outs[this.other(side)].shutdownWhenFlushed();
    }
  }

  /** Either socket closed (or failed): the other follows, after what is already queued for it. */
  close(side: 0 | 1): void {
    if (this.closed) return;
    this.closed = true;
    this.outs[this.other(side)].closeWhenFlushed();
    this.onClosed();
  }
}
