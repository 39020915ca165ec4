// The listening sockets a refused connect's 502 is diagnosed from (src/proxy/diagnose.ts). Read only
// on that error path, and never at the event loop's expense: the kernel builds /proc/net/tcp from
// every socket on the machine (19 ms for 3,000 sockets here, 113 ms for 44,000), so the files are
// read asynchronously, one read at a time shared by every 502 waiting for it, and a read that takes
// longer than the bound gives no diagnosis rather than a late answer. Parsing is on the event loop
// (31 ms for 44,000 sockets), so one reading answers for a second: a storm of 502s parses the tables
// once a second at most. Each proxy has its own tables object.

import { readFile } from "node:fs/promises";
import { parseProcNetTcp, type Listener } from "../net/listeners";
import { diagnoseRefused } from "./diagnose";

/** Longest a 502 waits for the socket tables. */
const READ_BOUND_MS = 1000;
/** How long one reading of the tables answers for. */
const REUSE_MS = 1000;

export class SocketTables {
  private pending: Promise<Listener[] | null> | null = null;
  private last: { at: number; listeners: Listener[] } | null = null;

  constructor(
    private readonly procRoot = "/proc",
    private readonly boundMs = READ_BOUND_MS,
  ) {}

  /** The listening sockets now (or as read within the last second), or null when they cannot be read within the bound. */
  now(): Promise<Listener[] | null> {
    const last = this.last;
    if (last !== null && performance.now() - last.at < REUSE_MS) return Promise.resolve(last.listeners);
    let read = this.pending;
    if (read === null) {
      read = this.read();
      this.pending = read;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.boundMs);
    });
    return Promise.race([read, late]).finally(() => clearTimeout(timer));
  }

  /** The diagnosis sentences for a refused `host:port`; none when the tables could not be read in time. */
  async diagnose(host: string, port: number): Promise<string[]> {
    const listeners = await this.now();
    return listeners === null ? [] : diagnoseRefused(host, port, listeners);
  }

  private async read(): Promise<Listener[] | null> {
    try {
      const root = this.procRoot;
      const [v4, v6] = await Promise.all([readFile(`${root}/net/tcp`, "latin1"), readFile(`${root}/net/tcp6`, "latin1").catch(() => "")]);
      const listeners = [...parseProcNetTcp(v4, 4), ...parseProcNetTcp(v6, 6)];
      this.last = { at: performance.now(), listeners };
      return listeners;
    } catch {
      return null;
    } finally {
      this.pending = null;
    }
  }
}
