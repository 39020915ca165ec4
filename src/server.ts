// Starts and stops the listeners. One Bun.listen server per (deduplicated) listen address; every
// accepted socket gets a ClientConnection. Graceful stop: stop accepting, let in-flight exchanges
// finish within the shutdown timeout, then close what is left.

import { networkInterfaces } from "node:os";
import type { SocketHandler, TCPSocketListener } from "bun";
import { formatAddress, type Config, type ListenAddress } from "./config";
import { Deadlines } from "./net/deadlines";
import { ClientConnection, type ProxyContext } from "./proxy/connection";
import { UpstreamPool } from "./proxy/upstream";

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

function handlers(ctx: ProxyContext, open: Set<ClientConnection>): SocketHandler<ClientConnection> {
  return {
    open(s) {
      const c = new ClientConnection(s, ctx);
      s.data = c;
      open.add(c);
    },
    data(s, buf) {
      s.data.onData(buf);
    },
    drain(s) {
      s.data.onDrain();
    },
    end(s) {
      s.data.onEnd();
    },
    close(s) {
      open.delete(s.data);
      s.data.onClose();
    },
    error() {
      // `close` follows and releases the connection.
    },
  };
}

export function startProxy(config: Config): RunningProxy | string {
  const ctx: ProxyContext = {
    config,
    pool: new UpstreamPool(new Deadlines(), UPSTREAM_IDLE_SECONDS, UPSTREAM_IDLE_PER_TARGET),
    deadlines: new Deadlines(),
    listening: [],
    localAddresses: localAddresses(),
    draining: false,
  };
  const open = new Set<ClientConnection>();
  const socket = handlers(ctx, open);
  const listeners: TCPSocketListener<ClientConnection>[] = [];
  for (const addr of config.listen) {
    // `[::]:P` beside `0.0.0.0:P` must not claim IPv4 too, or the second bind fails.
    const ipv6Only = addr.host === "::" && config.listen.some((a) => a.host === "0.0.0.0" && a.port === addr.port);
    try {
      const l = Bun.listen<ClientConnection>({
        hostname: addr.host,
        port: addr.port,
        allowHalfOpen: true,
        socket,
        ...(ipv6Only ? { ipv6Only } : {}),
        ...(config.reusePort ? { reusePort: true } : {}),
      });
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
    },
  };
}
