// Deadlines on a clock the test advances: a deadline never fires early and fires within two ticks
// (500 ms) of being due, once; 0 means none; removed members and re-armed ones behave.

import { expect, test } from "bun:test";
import { Deadlines, type Expiring } from "../../src/net/deadlines";

class Member implements Expiring {
  deadline = 0;
  fired: number[] = [];
  /** Seconds to re-arm with from inside expire(), or null. */
  constructor(
    private readonly clock: { ms: number },
    private readonly deadlines: Deadlines,
    private readonly rearm: number | null = null,
  ) {}
  expire(): void {
    this.fired.push(this.clock.ms);
    if (this.rearm !== null) this.deadline = this.deadlines.after(this.rearm);
  }
}

function setup(rearm: number | null = null) {
  const clock = { ms: 1000 };
  const deadlines = new Deadlines(() => clock.ms);
  const m = new Member(clock, deadlines, rearm);
  deadlines.add(m);
  /** Sweeps at each of these times (ms after the start). */
  const sweepAt = (times: number[]) => {
    for (const t of times) {
      clock.ms = 1000 + t;
      deadlines.sweep();
    }
  };
  return { clock, deadlines, m, sweepAt };
}

test.each([
  // [seconds, sweep times (ms after arming), fired at (ms after arming)]
  [2, [1000, 1999], []],
  [2, [1999, 2500], [2500]],
  [2, [2500, 2750, 5000], [2500]],
  [0, [500], [500]],
  [0.5, [499], []],
  [60, [59_999], []],
  [60, [60_500], [60_500]],
] as [number, number[], number[]][])("armed %p s, swept at %p ms: fires at %p", (seconds, sweeps, fired) => {
  const { m, deadlines, sweepAt } = setup();
  m.deadline = deadlines.after(seconds);
  sweepAt(sweeps);
  expect(m.fired.map((t) => t - 1000)).toEqual(fired);
});

test("a deadline of 0 never fires", () => {
  const { m, sweepAt } = setup();
  sweepAt([1000, 1_000_000]);
  expect(m.fired).toEqual([]);
});

test("an expired member's deadline is cleared before expire() runs", () => {
  const { m, deadlines, sweepAt } = setup();
  m.deadline = deadlines.after(1);
  let seen = -1;
  m.expire = () => {
    seen = m.deadline;
  };
  sweepAt([1500]);
  expect(seen).toBe(0);
});

test("a removed member never fires", () => {
  const { m, deadlines, sweepAt } = setup();
  m.deadline = deadlines.after(1);
  deadlines.remove(m);
  sweepAt([5000]);
  expect(m.fired).toEqual([]);
});

test("expire() may arm the next deadline, counted from the sweep that fired", () => {
  const { m, deadlines, sweepAt } = setup(3);
  m.deadline = deadlines.after(1);
  sweepAt([1500, 4400, 4600]);
  expect(m.fired.map((t) => t - 1000)).toEqual([1500]);
  sweepAt([5000]);
  expect(m.fired.map((t) => t - 1000)).toEqual([1500, 5000]);
});

test("a deadline armed between sweeps (less than a tick after the last) is still never early", () => {
  const { m, clock, deadlines, sweepAt } = setup();
  sweepAt([0]);
  // Arming reads the last sweep's time, not the clock: 200 ms have passed since.
  clock.ms += 200;
  m.deadline = deadlines.after(1);
  sweepAt([1200]);
  expect(m.fired).toEqual([]);
  sweepAt([1700]);
  expect(m.fired.map((t) => t - 1000)).toEqual([1700]);
});
