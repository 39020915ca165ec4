// One coarse clock for every timeout. A per-request setTimeout would cost an allocation on the hot
// path; instead each connection carries a deadline number and one timer sweeps them all.

export interface Expiring {
  /** Monotonic ms; 0 = no deadline. */
  deadline: number;
  expire(): void;
}

const TICK_MS = 250;

export class Deadlines {
  private readonly members = new Set<Expiring>();
  private timer: ReturnType<typeof setInterval> | null = null;

  now(): number {
    return performance.now();
  }

  /** Tracks `x` until `remove`; it expires when its deadline (if any) passes. */
  add(x: Expiring): void {
    this.members.add(x);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), TICK_MS);
      this.timer.unref();
    }
  }

  /** Stops tracking `x`. The timer stays (unref'd): stopping and restarting it whenever the set
   * empties would cost a timer per request when one pooled connection goes in and out. */
  remove(x: Expiring): void {
    this.members.delete(x);
  }

  /** Stops the timer; for a proxy that is shutting down. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  get size(): number {
    return this.members.size;
  }

  forEach(fn: (x: Expiring) => void): void {
    for (const x of [...this.members]) fn(x);
  }

  private sweep(): void {
    const now = performance.now();
    for (const x of this.members) {
      if (x.deadline !== 0 && x.deadline <= now) {
        x.deadline = 0;
        x.expire();
      }
    }
  }
}
