// A ClientConnection on a fake client socket, with fake upstreams and a clock that moves only when
// the test says: every event is delivered by hand through the connection's public surface (the
// handlers src/server.ts calls, and the deadline sweep), so a test reads as the sequence of socket
// events it models.

import { defaultAdminConfig } from "../../src/admin/config";
import type { AdminHost } from "../../src/admin/serve";
import { DEFAULT_LIMITS, type Config, type Limits } from "../../src/config";
import { configureLog } from "../../src/log";
import { emptyGauges, type Metrics } from "../../src/metrics";
import { Deadlines } from "../../src/net/deadlines";
import { ClientConnection } from "../../src/proxy/connection";
import { FakeSocket } from "./fake-socket";
import { FakePool } from "./fake-upstream";

configureLog((process.env.CMUX_TEST_LOG as "debug" | undefined) ?? "silent", false);

/** Distinct values, so a test can tell which deadline fired by when it fires. */
export const TEST_LIMITS: Limits = {
  ...DEFAULT_LIMITS,
  maxHeadBytes: 4096,
  headTimeout: 3,
  idleTimeout: 7,
  connectTimeout: 2,
  upstreamTimeout: 11,
};

/** A deadline fires at most two sweeps (250 ms each) after it is due (src/net/deadlines.ts). */
export const LATE_S = 0.5;

export const PORT = 3000;

/** A routed request head (plus `extra` header lines, each ending in CRLF). */
export function get(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: app\r\nX-Cmux-Port-Internal: ${PORT}\r\n${extra}\r\n`;
}

export function post(path: string, length: number, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: app\r\nX-Cmux-Port-Internal: ${PORT}\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}

/** A complete 200 response whose body is `body`. */
export function ok(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
}

/** The status codes of the responses in `text`, in order (a response may follow a body directly). */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** The admin Host with nothing to show (these tests never ask it). */
function noAdmin(metrics: Metrics): AdminHost {
  const snapshot = { listeners: [], owners: new Map(), names: new Map(), errors: [] };
  return { config: defaultAdminConfig(), state: { draining: false, metrics, gauges: emptyGauges, snapshot: () => Promise.resolve(snapshot), listening: [], upstreamHost: "127.0.0.1" } };
}

export class FakeClient {
  readonly socket: FakeSocket;
  readonly deadlines: Deadlines;
  readonly pool: FakePool;
  readonly conn: ClientConnection;
  private ms = 0;

  constructor(opts: { capacity?: number; limits?: Partial<Limits>; draining?: boolean } = {}) {
    this.socket = new FakeSocket(opts.capacity ?? Infinity, "192.0.2.7");
    this.deadlines = new Deadlines(() => this.ms);
    this.pool = new FakePool(this.deadlines);
    const config: Config = { listen: [], upstreamHost: "127.0.0.1", limits: { ...TEST_LIMITS, ...opts.limits } };
    this.conn = new ClientConnection(this.socket, {
      config,
      pool: this.pool,
      deadlines: this.deadlines,
      listening: [],
      localAddresses: new Set(),
      draining: opts.draining ?? false,
      metrics: this.pool.metrics,
      admin: noAdmin(this.pool.metrics),
      accessLog: null,
    });
  }

  /** The client sends bytes. */
  send(data: string | Uint8Array): void {
    this.conn.events.onData(typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data));
  }

  /** The client half-closed (FIN). */
  end(): void {
    this.conn.events.onEnd();
  }

  /** The client read what the proxy sent: its send buffer has room again. */
  drain(): void {
    this.socket.drainKernel();
    this.conn.events.onDrain();
  }

  /** The client socket closed. */
  close(): void {
    this.conn.events.onClose();
  }

  /** Time passes; every deadline due by then fires. */
  pass(seconds: number): void {
    this.ms += seconds * 1000;
    this.deadlines.sweep();
  }

  /** What the proxy wrote to the client since the last `read`. */
  read(): string {
    return this.socket.read();
  }

  /** The most recent upstream connect. */
  lastAttempt() {
    const a = this.pool.attempts.at(-1);
    if (a === undefined) throw new Error("no upstream connect was started");
    return a;
  }
}
