// Starts and stops the listeners. One Bun.listen server per (deduplicated) listen address; every
// accepted socket gets a ClientConnection. Graceful stop: stop accepting, let in-flight exchanges
// finish within the shutdown timeout, then close what is left.

import { networkInterfaces } from "node:os";
import type { SocketHandler, TCPSocketListener } from "bun";
import { formatAccessJson, formatAccessText } from "./access-log";
import { defaultAdminConfig } from "./admin/config";
import type { AdminState } from "./admin/router";
import { SnapshotReader } from "./admin/snapshot";
import { formatAddress, type Config, type ListenAddress } from "./config";
import { log } from "./log";
import { LineSink } from "./log-sink";
import { emptyGauges, Metrics, PHASE, type MetricsGauges } from "./metrics";
import { Deadlines } from "./net/deadlines";
import { FdBudget, openDescriptors, openFileLimit } from "./net/fd-budget";
import { noteClosed, noteOpened } from "./net/reclaim";
import { ClientConnection, type ProxyContext } from "./proxy/connection";
import { Gate } from "./proxy/gate";
import { SocketTables } from "./proxy/nearby";
import { keepAlive, UpstreamPool } from "./proxy/upstream";

// Shorter than common dev servers' keep-alive (Node: 5 s), so we drop idle upstreams before they do.
const UPSTREAM_IDLE_SECONDS = 4;
const UPSTREAM_IDLE_PER_TARGET = 256;

export interface RunningProxy {
  /** The bound addresses, with real ports (port 0 resolved). */
  readonly addresses: ListenAddress[];
  /** Stops accepting; with `graceful`, waits for in-flight exchanges (bounded), then closes all. */
  stop(graceful: boolean): Promise<void>;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.add(i.address);
  return out;
}

function handlers(ctx: ProxyContext, open: Set<ClientConnection>, fds: FdBudget | null): SocketHandler<ClientConnection> {
  return {
    open(s) {
      fds?.take();
      noteOpened();
      // A client that vanished (laptop asleep, NAT entry dropped) is reaped instead of held forever.
      keepAlive(s, ctx.config.limits.tcpKeepAlive);
      ctx.metrics.clientsAccepted++;
      const c = new ClientConnection(s, ctx);
      s.data = c;
      open.add(c);
    },
    data(s, buf) {
      ctx.metrics.bytesFromClients += buf.length;
      s.data.received += buf.length;
      s.data.events.onData(buf);
    },
    drain(s) {
      s.data.events.onDrain();
    },
    end(s) {
      s.data.events.onEnd();
    },
    close(s) {
      fds?.give();
      noteClosed();
      open.delete(s.data);
      s.data.events.onClose();
    },
    error(s, e) {
      // Socket errors (ECONNRESET, ...) are followed by `close`, which releases the connection. An
      // exception thrown by our own handler arrives here too: never leave that socket half-handled.
      if ((e as { code?: string }).code !== undefined) return;
      log.error(`internal error on a client connection: ${e.stack ?? e}`);
      s.terminate();
    },
  };
}

/** /metrics' gauges, counted from the open connections and the pool when asked. */
function gauges(ctx: ProxyContext, open: ReadonlySet<ClientConnection>): MetricsGauges {
  const g = emptyGauges();
  const clients = g.clientsOpen as number[];
  for (const c of open) {
    const phase = c.metricsPhase();
    clients[phase]!++;
    if (phase === PHASE.tunnel) {
      if (c.upgraded) g.upgradesOpen++;
      else g.tunnelsOpen++;
    }
  }
  g.pooledUpstreams = ctx.pool.idleCount();
  g.draining = ctx.draining;
  return g;
}

function bind(addr: ListenAddress, config: Config, socket: SocketHandler<ClientConnection>): TCPSocketListener<ClientConnection> {
  // `[::]:P` beside `0.0.0.0:P` must not claim IPv4 too, or the second bind fails.
  const ipv6Only = addr.host === "::" && config.listen.some((a) => a.host === "0.0.0.0" && a.port === addr.port);
  return Bun.listen<ClientConnection>({
    hostname: addr.host,
    port: addr.port,
    allowHalfOpen: true,
    socket,
    ...(ipv6Only ? { ipv6Only } : {}),
    ...(config.reusePort ? { reusePort: true } : {}),
  });
}

export function startProxy(config: Config): RunningProxy | string {
  const open = new Set<ClientConnection>();
  let listeners: TCPSocketListener<ClientConnection>[] = [];
  let stopped = false;
  const limit = openFileLimit();
  const fds =
    limit === null
      ? null
      : new FdBudget(limit, openDescriptors() + config.listen.length, (full) => {
          if (stopped) return;
          if (full) {
            log.warn(`near the open-file limit (${limit}): not accepting new connections until some close`);
            for (const l of listeners) l.stop(false);
            listeners = [];
          } else {
            log.info("below the open-file limit again: accepting new connections");
            listeners = relisten();
          }
        });
  // One sweeper for every timeout: client connections and idle pooled upstreams alike.
  const deadlines = new Deadlines();
  const tables = new SocketTables();
  const metrics = new Metrics();
  const adminConfig = config.admin ?? defaultAdminConfig();
  const snapshots = new SnapshotReader(adminConfig.roots);
  const listening: ListenAddress[] = [];
  // Access-log lines go to stdout, the proxy's own log to stderr.
  const accessLog = config.accessLog === undefined ? null : new LineSink((text) => process.stdout.write(text));
  const format = config.accessLog === "json" ? formatAccessJson : formatAccessText;
  const state: AdminState = {
    get draining() {
      return ctx.draining;
    },
    metrics,
    gauges: () => gauges(ctx, open),
    snapshot: () => snapshots.read(),
    listening,
    upstreamHost: config.upstreamHost,
  };
  const ctx: ProxyContext = {
    config,
    pool: new UpstreamPool(deadlines, UPSTREAM_IDLE_SECONDS, UPSTREAM_IDLE_PER_TARGET, fds, config.limits.tcpKeepAlive, metrics),
    deadlines,
    listening,
    localAddresses: localAddresses(),
    draining: false,
    diagnose: (host, port) => tables.diagnose(host, port),
    gate: config.policy ? new Gate(config.policy, config.hostSuffixes) : undefined,
    metrics,
    admin: { config: adminConfig, state },
    accessLog: accessLog === null ? null : (r) => accessLog.line(format(r)),
  };
  const socket = handlers(ctx, open, fds);
  /** Binds the addresses bound before, on their real ports; one that fails now is logged and skipped. */
  const relisten = () =>
    ctx.listening.flatMap((addr) => {
      try {
        return [bind(addr, config, socket)];
      } catch (e) {
        log.error(`cannot listen on ${formatAddress(addr)} again: ${(e as Error).message}`);
        return [];
      }
    });
  for (const addr of config.listen) {
    try {
      const l = bind(addr, config, socket);
      listeners.push(l);
      ctx.listening.push({ ...addr, port: l.port });
    } catch (e) {
      for (const l of listeners) l.stop(true);
      const err = e as { code?: string; message?: string };
      return `cannot listen on ${formatAddress(addr)}: ${err.code ?? ""}${err.code ? " " : ""}${err.message ?? String(e)}`;
    }
  }

  return {
    addresses: ctx.listening,
    async stop(graceful) {
      stopped = true;
      ctx.draining = true;
      for (const l of listeners) l.stop(false);
      if (graceful) {
        for (const c of open) c.drainForShutdown();
        const until = performance.now() + config.limits.shutdownTimeout * 1000;
        while (open.size > 0 && performance.now() < until) await Bun.sleep(50);
      }
      for (const c of [...open]) c.socket.terminate();
      for (const l of listeners) l.stop(true);
      ctx.pool.closeAll();
      ctx.deadlines.stop();
      accessLog?.flush();
    },
  };
}
