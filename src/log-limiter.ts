// A cap on log lines that clients can trigger at will (refused tokens, refused ports): a client
// hammering the proxy must not be able to fill the disk or drown the other lines. Pure: the caller
// passes the clock. At most `perWindow` lines per window; the first line let through after some were
// dropped says how many, so the count is never lost, only deferred.

export class LogLimiter {
  private windowStart = -Infinity;
  private used = 0;
  private dropped = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** null: drop this line. Otherwise log it, with the number of lines dropped before it. */
  take(nowMs: number): number | null {
    if (nowMs - this.windowStart >= this.windowMs) {
      this.windowStart = nowMs;
      this.used = 0;
    }
    if (this.used >= this.perWindow) {
      this.dropped++;
      return null;
    }
    this.used++;
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }
}

/** The suffix a let-through line carries for the lines dropped before it. */
export function droppedNote(dropped: number): string {
  return dropped === 0 ? "" : ` (${dropped} similar line${dropped === 1 ? "" : "s"} suppressed)`;
}
