// Upstream connections: connecting with a timeout, and a pool of idle keep-alive connections per
// target so consecutive requests (from any client) skip the TCP handshake.

import type { Socket, SocketHandler } from "bun";
import { DEFAULT_LIMITS } from "../config";
import type { Deadlines, Expiring } from "../net/deadlines";
import type { FdBudget } from "../net/fd-budget";
import { log } from "../log";
import { Outbox, queuedSendCount } from "../net/outbox";
import { noteClosed } from "../net/reclaim";
import { freeReceiveBuffer, limitReceiveBuffer } from "../net/receive-buffer";
import type { ByteSocket } from "../net/socket";
import { Metrics } from "../metrics";
import { addressesFor, ConnectFailure, triesNext, type Attempt } from "./connect";
import type { Target } from "../route";

/** Whoever currently uses an upstream connection receives its events. */
export interface UpstreamOwner {
  onUpstreamData(up: Upstream, buf: Buffer): void;
  onUpstreamDrain(up: Upstream): void;
  onUpstreamEnd(up: Upstream): void;
  onUpstreamClose(up: Upstream): void;
}

/** Asked of the kernel for each new upstream socket; it doubles the figure, so one read returns about
 * 64 KiB: all a client that stops reading can leave in our memory. Kernel autotuning would let one
 * read return 512 KiB. */
const RECEIVE_BUFFER_BYTES = 32 * 1024;
/** Bytes in full reads a connection must have passed on, each written at once and none queued in
 * between, before its receive buffer is handed to autotuning. A write the kernel takes is not yet a
 * write the client read: the client socket's send buffer (tcp_wmem, up to 4 MiB by default) and the
 * client's own receive window absorb megabytes for a reader that reads nothing (slowhttptest's slow
 * readers: ~1.7 MiB each). Past twice that default, the client has really been reading. */
export const WIDEN_AFTER_BYTES = 8 * 1024 * 1024;
/** Connections with an autotuned buffer, at most, per process. Each of them can leave one full read
 * (512 KiB) with us when its client stalls later, and stays so until it closes (see receive-buffer.ts
 * for why it is never narrowed again): 32 of them bound that to 16 MiB, whatever clients do. */
export const MAX_WIDE = 32;

export class Upstream implements Expiring {
  socket!: ByteSocket;
  out!: Outbox;
  owner: UpstreamOwner | null = null;
  /** Came from the pool: the server may have closed it meanwhile, so a safe request may be retried. */
  reused = false;
  deadline = 0;
  /** Its receive buffer is autotuned (counted in the pool's `wide`). */
  wide = false;
  /** Bytes of full reads passed on since the last read that had to queue for its reader. */
  private straight = 0;

  constructor(
    readonly key: string,
    readonly pool: UpstreamPool,
  ) {}

  attach(s: ByteSocket): void {
    this.socket = s;
    this.out = new Outbox(s);
    this.pool.track(this);
  }

  /** After the owner passed a read on: its reader took every byte at once, or it had to queue. Only
   * reads that filled the small buffer count: they say the buffer, not the server, sets the pace
   * (a connection serving small responses never needs a wide one). */
  noteRead(bytes: number, keptUp: boolean): void {
    if (!keptUp) this.straight = 0;
    else if (bytes >= RECEIVE_BUFFER_BYTES && (this.straight += bytes) >= WIDEN_AFTER_BYTES) this.pool.widen(this);
  }

  /** Idle in the pool for too long: servers close idle connections too, better we do it first. */
  expire(): void {
    this.close();
  }

  close(): void {
    this.owner = null;
    this.pool.discard(this);
    this.socket.end();
  }
}

/** TCP keep-alive for `seconds` of silence: Bun sets TCP_KEEPIDLE (whole seconds), 10 probes 1 s apart. */
export function keepAlive(s: Socket<unknown>, seconds: number): void {
  s.setKeepAlive(true, Math.max(1, Math.ceil(seconds)) * 1000);
}

const handlers: SocketHandler<Upstream> = {
  open(s) {
    limitReceiveBuffer(s, RECEIVE_BUFFER_BYTES);
    s.data.attach(s);
    keepAlive(s, s.data.pool.keepAliveSeconds);
  },
  data(s, buf) {
    const up = s.data;
    up.pool.metrics.bytesFromUpstreams += buf.length;
    // bytes from an idle connection: it is out of step, never reuse it
    if (up.owner === null) return up.close();
    // Whatever the owner writes while handling the read goes to this read's reader (or, pausing the
    // upstream, queues because of it): a queued send anywhere in between means it did not keep up.
    const queued = queuedSendCount();
    up.owner.onUpstreamData(up, buf);
    if (!up.wide) up.noteRead(buf.length, queuedSendCount() === queued);
  },
  drain(s) {
    const up = s.data;
    // A retired connection has no owner but may still be flushing what its last request left.
    if (up.owner !== null) up.owner.onUpstreamDrain(up);
    else up.out.flush();
  },
  end(s) {
    const up = s.data;
    if (up.owner !== null) up.owner.onUpstreamEnd(up);
    else up.close();
  },
  close(s) {
    const up = s.data;
    up.pool.fds?.give();
    if (up.wide) up.pool.wide--;
    noteClosed();
    const owner = up.owner;
    up.owner = null;
    up.pool.discard(up);
    owner?.onUpstreamClose(up);
  },
  error(s, e) {
    // Socket errors are followed by `close`, where the owner answers. An exception thrown by our own
    // handler arrives here too: terminate, so the owner sees a close rather than a stall.
    if ((e as { code?: string }).code !== undefined) return;
    log.error(`internal error on an upstream connection: ${e.stack ?? e}`);
    s.terminate();
  },
};

let lastKeyHost = "";
let lastKeyPort = -1;
let lastKey = "";

export class UpstreamPool {
  private readonly idle = new Map<string, Upstream[]>();
  /** Open connections whose receive buffer is autotuned. */
  wide = 0;

  constructor(
    private readonly deadlines: Deadlines,
    /** Seconds an idle upstream connection is kept. */
    private readonly idleSeconds: number,
    private readonly maxIdlePerTarget: number,
    /** Counts upstream sockets against the open-file limit. */
    readonly fds: FdBudget | null,
    /** Seconds of silence before TCP keep-alive probes (--tcp-keepalive). */
    readonly keepAliveSeconds = DEFAULT_LIMITS.tcpKeepAlive,
    /** Connects, failures, reuses and upstream bytes for /metrics. */
    readonly metrics = new Metrics(),
  ) {}

  /** Idle connections parked, for /metrics. */
  idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  static key(t: Target): string {
    // Requests after requests go to the same target: its key is made once, not per request.
    if (t.host !== lastKeyHost || t.port !== lastKeyPort) {
      lastKeyHost = t.host;
      lastKeyPort = t.port;
      lastKey = t.host + ":" + t.port;
    }
    return lastKey;
  }

  /** An idle connection to the target, most recently used first, or null. */
  take(key: string, owner: UpstreamOwner): Upstream | null {
    const list = this.idle.get(key);
    const up = list?.pop();
    if (up === undefined) return null;
    up.deadline = 0;
    up.reused = true;
    up.owner = owner;
    this.metrics.upstreamReuses++;
    return up;
  }

  /**
   * Opens a new connection, trying the target's addresses in turn while they fail at once (a
   * loopback target tries both families: src/proxy/connect.ts); rejects with a ConnectFailure
   * naming every address tried.
   */
  async connect(t: Target, owner: UpstreamOwner): Promise<Upstream> {
    this.metrics.upstreamConnects++;
    let addresses: readonly string[];
    try {
      addresses = await addressesFor(t.host);
    } catch (e) {
      const code = (e as { code?: string }).code ?? "ENOTFOUND";
      this.metrics.connectFailures++;
      throw new ConnectFailure(t.host, t.port, [{ address: t.host, code: code.replace(/^DNS_/, "") }]);
    }
    const attempts: Attempt[] = [];
    for (const address of addresses) {
      const up = new Upstream(UpstreamPool.key(t), this);
      up.owner = owner;
      this.fds?.take();
      try {
        await Bun.connect<Upstream>({ hostname: address, port: t.port, data: up, allowHalfOpen: true, socket: handlers });
        return up;
      } catch (e) {
        // No socket came of it (`close` only follows an open), so the descriptor is given back here.
        this.fds?.give();
        const code = (e as { code?: string }).code ?? String(e);
        attempts.push({ address, code });
        if (!triesNext(code)) break;
      }
    }
    this.metrics.connectFailures++;
    throw new ConnectFailure(t.host, t.port, attempts);
  }

  /** Hands a connection's receive buffer to autotuning while fewer than MAX_WIDE have one. */
  widen(up: Upstream): void {
    if (this.wide >= MAX_WIDE) return;
    this.wide++;
    up.wide = true;
    freeReceiveBuffer(up.socket as Socket<unknown>);
  }

  /** Parks a connection whose last exchange ended cleanly. */
  release(up: Upstream): void {
    up.owner = null;
    let list = this.idle.get(up.key);
    if (list === undefined) {
      list = [];
      this.idle.set(up.key, list);
    }
    if (list.length >= this.maxIdlePerTarget) {
      up.socket.end();
      return;
    }
    list.push(up);
    up.deadline = this.deadlines.after(this.idleSeconds);
  }

  /**
   * A connection whose last exchange ended with request bytes still queued for it: they go out (the
   * upstream answered early but may read on), then it closes; never pooled, since the next request
   * would wait behind them. Bounded by the idle time like a pooled connection.
   */
  retire(up: Upstream): void {
    up.owner = null;
    up.out.closeWhenFlushed();
    up.deadline = this.deadlines.after(this.idleSeconds);
  }

  /** An open connection is watched by the deadline sweep for as long as it lives: its deadline is 0
   * except while it idles in the pool or is retired. Adding it to and removing it from the sweep's
   * set on every request it served cost more than the whole pool lookup. */
  track(up: Upstream): void {
    this.deadlines.add(up);
  }

  /** The connection is going away: out of the pool and out of the sweep. */
  discard(up: Upstream): void {
    this.deadlines.remove(up);
    const list = this.idle.get(up.key);
    if (list === undefined) return;
    const i = list.indexOf(up);
    if (i === -1) return;
    list.splice(i, 1);
    if (list.length === 0) this.idle.delete(up.key);
  }

  closeAll(): void {
    for (const list of [...this.idle.values()]) for (const up of [...list]) up.close();
  }
}
