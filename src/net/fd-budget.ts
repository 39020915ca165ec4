// Keeps the process's descriptors below its RLIMIT_NOFILE. Bun retries a failed accept() at once, so
// a listener whose backlog waits while accept() keeps failing with EMFILE spins a core. The proxy
// counts the sockets it holds and stops listening before the limit, leaving a reserve for the
// upstream connections of the clients it already has; it listens again once enough have closed.

import { readdirSync, readFileSync } from "node:fs";

/** The soft open-file limit (Bun raises it to the hard limit at start), or null if unknown. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s+/)[3];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    return null;
  }
}

/** Descriptors open right now (runtime internals, stdio, listeners). */
export function openDescriptors(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

export class FdBudget {
  private sockets = 0;
  private full = false;
  private readonly high: number;
  private readonly low: number;

  /**
   * `limit` descriptors in all, `baseline` of them already taken by things other than sockets
   * this budget counts; `onFull(true)` when accepting must stop, `onFull(false)` when it may resume.
   */
  constructor(
    limit: number,
    private readonly baseline: number,
    private readonly onFull: (full: boolean) => void,
  ) {
    // The reserve is for upstream connections of already accepted clients and for the runtime.
    const reserve = Math.max(16, Math.floor(limit / 8));
    this.high = limit - reserve;
    this.low = limit - 2 * reserve;
  }

  get used(): number {
    return this.baseline + this.sockets;
  }

  /** A socket was opened (accepted, or a connect started). */
  take(): void {
    this.sockets++;
    if (!this.full && this.used >= this.high) {
      this.full = true;
      this.onFull(true);
    }
  }

  /** A socket counted by `take` was closed. */
  give(): void {
    this.sockets--;
    if (this.full && this.used <= this.low) {
      this.full = false;
      this.onFull(false);
    }
  }
}
