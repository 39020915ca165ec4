// Upstream connections over fake sockets. FakePool is the real UpstreamPool (take, release, discard,
// idle deadlines) with `connect` replaced: each connect waits until the test accepts or refuses it.
// FakeUpstream plays the upstream server's side and delivers its socket's events the way
// src/proxy/upstream.ts's socket handlers do (to the current owner; an idle socket that speaks or
// ends is closed).

import type { Deadlines } from "../../src/net/deadlines";
import { Upstream, UpstreamPool, type UpstreamOwner } from "../../src/proxy/upstream";
import type { Target } from "../../src/route";
import { FakeSocket } from "./fake-socket";

/** Lets every promise callback queued so far run (a connect's `then`, an `await` in the code). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeUpstream {
  readonly socket: FakeSocket;

  constructor(
    readonly up: Upstream,
    capacity = Infinity,
  ) {
    this.socket = new FakeSocket(capacity, up.key);
    up.attach(this.socket);
  }

  /** The server sends bytes. */
  send(data: string | Uint8Array): void {
    const buf = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    if (this.up.owner !== null) this.up.owner.onUpstreamData(this.up, buf);
    else this.up.close();
  }

  /** The server read what the proxy sent: its send buffer has room again. */
  drain(): void {
    this.socket.drainKernel();
    if (this.up.owner !== null) this.up.owner.onUpstreamDrain(this.up);
    else this.up.out.flush();
  }

  /** The server half-closed (FIN). */
  end(): void {
    if (this.up.owner !== null) this.up.owner.onUpstreamEnd(this.up);
    else this.up.close();
  }

  /** The socket closed (the server's close or reset, or the close that follows our own end). */
  close(): void {
    const owner = this.up.owner;
    this.up.owner = null;
    this.up.pool.discard(this.up);
    owner?.onUpstreamClose(this.up);
  }

  /** The request bytes the proxy wrote to this upstream since the last `read`. */
  read(): string {
    return this.socket.read();
  }
}

/** One `connect` call, pending until the test decides. */
export interface ConnectAttempt {
  readonly target: Target;
  /** Opens the connection (send buffer `capacity` bytes) and lets the connection react. */
  accept(capacity?: number): Promise<FakeUpstream>;
  /** Fails the connect with a socket error code (ECONNREFUSED, ...). */
  refuse(code: string): Promise<void>;
}

/** Seconds a FakePool keeps an idle upstream (the proxy's own default, src/server.ts). */
export const POOL_IDLE_S = 4;

export class FakePool extends UpstreamPool {
  /** Every connect, in call order. */
  readonly attempts: ConnectAttempt[] = [];
  /** Every Upstream released to the pool, in order. */
  readonly released: Upstream[] = [];

  constructor(deadlines: Deadlines, idleSeconds = POOL_IDLE_S, maxIdlePerTarget = 8) {
    super(deadlines, idleSeconds, maxIdlePerTarget, null);
  }

  override connect(t: Target, owner: UpstreamOwner): Promise<Upstream> {
    const up = new Upstream(UpstreamPool.key(t), this);
    up.owner = owner;
    const { promise, resolve, reject } = Promise.withResolvers<Upstream>();
    this.attempts.push({
      target: t,
      async accept(capacity = Infinity) {
        const fake = new FakeUpstream(up, capacity);
        resolve(up);
        await settle();
        return fake;
      },
      async refuse(code) {
        reject(Object.assign(new Error(`connect ${code}`), { code }));
        await settle();
      },
    });
    return promise;
  }

  override release(up: Upstream): void {
    this.released.push(up);
    super.release(up);
  }
}
