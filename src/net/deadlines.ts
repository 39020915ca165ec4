// One coarse clock for every timeout. A per-request setTimeout would cost an allocation on the hot
// path; instead each connection carries a deadline number and one timer sweeps them all. Even
// reading the clock shows in profiles, so arming uses the time of the last sweep.

export interface Expiring {
  /** Monotonic ms; 0 = no deadline. */
  deadline: number;
  expire(): void;
}

const TICK_MS = 250;

export class Deadlines {
  private readonly members = new Set<Expiring>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private clock: number;

  /** `now`: a clock its owner advances, calling `sweep` itself (no timer runs): tests pass time
   * without waiting for it. */
  constructor(private readonly now: (() => number) | null = null) {
    this.clock = now === null ? performance.now() : now();
  }

  /** A deadline `seconds` from now: never early, at most two ticks late. */
  after(seconds: number): number {
    return this.clock + TICK_MS + seconds * 1000;
  }

  /** Tracks `x` until `remove`; it expires when its deadline (if any) passes. */
  add(x: Expiring): void {
    this.members.add(x);
    if (this.timer === null && this.now === null) {
      this.clock = performance.now();
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

  /** Expires every member whose deadline has passed; the timer runs this every tick. */
  sweep(): void {
    const now = this.now === null ? performance.now() : this.now();
    this.clock = now;
    for (const x of this.members) {
      if (x.deadline !== 0 && x.deadline <= now) {
        x.deadline = 0;
        x.expire();
      }
    }
  }
}
