// The one way tests wait: until a condition holds, bounded in time. A socket callback that changes
// what the condition reads calls `Wake.notify()`, so the wait ends on the event itself; the poll
// step only covers state nobody announces (a process exiting, /proc counters).

/** Wakes every `waitFor` that was handed it. */
export class Wake {
  private waiters = new Set<() => void>();

  notify(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves on the next `notify()` or after `ms`, whichever comes first. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

/** Resolves true once `cond` holds, false when `ms` pass first; `cond` is checked every `stepMs` and on each wake. */
export async function waitFor(cond: () => boolean, ms: number, stepMs = 20, wake?: Wake): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const step = Math.min(left, stepMs);
    await (wake === undefined ? Bun.sleep(step) : wake.next(step));
  }
  return true;
}
