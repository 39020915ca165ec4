// The listening sockets a refused connect's 502 is diagnosed from (src/proxy/diagnose.ts). Read only
// on that error path, and never on the event loop's time: the kernel builds /proc/net/tcp from every
// socket on the machine (about 19 ms for 3,000 sockets here), so the files are read asynchronously,
// one read at a time shared by every 502 waiting for it, and a read that takes longer than the bound
// gives no diagnosis rather than a late answer.

import { readFile } from "node:fs/promises";
import { parseProcNetTcp, type Listener } from "../net/listeners";
import { diagnoseRefused } from "./diagnose";

/** Longest a 502 waits for the socket tables. */
const READ_BOUND_MS = 250;

/** The read in flight, per /proc root (tests use their own). */
const pending = new Map<string, Promise<Listener[] | null>>();

async function readBoth(procRoot: string): Promise<Listener[] | null> {
  try {
    const [v4, v6] = await Promise.all([readFile(`${procRoot}/net/tcp`, "latin1"), readFile(`${procRoot}/net/tcp6`, "latin1").catch(() => "")]);
    return [...parseProcNetTcp(v4, 4), ...parseProcNetTcp(v6, 6)];
  } catch {
    return null;
  }
}

/** The listening sockets now, or null when they cannot be read within the bound. */
export function listeningNow(procRoot = "/proc", boundMs = READ_BOUND_MS): Promise<Listener[] | null> {
  let read = pending.get(procRoot);
  if (read === undefined) {
    const started = readBoth(procRoot);
    pending.set(procRoot, started);
    void started.finally(() => pending.delete(procRoot));
    read = started;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), boundMs);
  });
  return Promise.race([read, late]).finally(() => clearTimeout(timer));
}

/** The diagnosis sentences for a refused `host:port`; none when the tables could not be read in time. */
export async function diagnoseNow(host: string, port: number): Promise<string[]> {
  const listeners = await listeningNow();
  return listeners === null ? [] : diagnoseRefused(host, port, listeners);
}
