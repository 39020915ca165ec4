// One scenario: an untimed warm-up per system, then rounds in which the systems take turns
// (A B C A B C ...). A run disturbed by other work on the machine is repeated once that work
// has paused, within a time budget for the whole bench.
import { logTail } from "./children";
import { watchOtherWork } from "./machine";
import type { Results } from "./report";
import type { MeasureContext, Scenario } from "./scenarios";
import type { System } from "./systems";

/** Another process using more than this share of a core during a timed run spoils it. */
export const DISTURBED_PERCENT = 10;
const QUIET_WAIT_MS = 5000;

export type RoundsContext = MeasureContext & {
  results: Results;
  interrupted: () => boolean;
  /** Milliseconds the whole bench may still spend waiting for quiet and repeating disturbed runs. */
  repeatBudget: { ms: number };
};

/** Waits, bounded, for half a second in which other work stays under the threshold. */
async function waitForQuiet(): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  while (Date.now() < deadline) {
    const other = watchOtherWork();
    await Bun.sleep(500);
    if (other() <= DISTURBED_PERCENT) return;
  }
}

async function ensureRunning(sys: System) {
  const dead = sys.dead();
  if (!dead) return;
  console.log(`  ${sys.name}: ${dead.name} died (exit ${dead.proc.exitCode ?? dead.proc.signalCode}), restarting:\n${logTail(dead, 5)}`);
  await sys.stop();
  await sys.start();
}

export async function runScenario(rc: RoundsContext, scenario: Scenario, systems: System[]): Promise<void> {
  const failed = new Set<System>();
  // A failed round is recorded and ends that system's part in the scenario; a failed warm-up is
  // only reported, since the rounds will show whether the failure is real.
  const attempt = async (sys: System, what: string, fn: () => Promise<void>, record: boolean) => {
    if (rc.interrupted()) return;
    try {
      await ensureRunning(sys);
      await fn();
    } catch (err) {
      if (rc.interrupted()) return; // the failure is our own shutdown, not the system's
      const message = (err as Error).message;
      console.log(`  ${sys.name}: ${what} failed: ${message}`);
      if (!record) return;
      rc.results.fail(scenario.id, scenario.metrics, sys.name, message.split("\n")[0]!);
      failed.add(sys);
    }
  };

  if (scenario.warmup && rc.settings.warmupSeconds > 0) {
    for (const sys of systems) await attempt(sys, "warm-up", () => scenario.warmup!(rc, sys), false);
  }

  const measure = async (sys: System, round: number) => {
    // Bounded: every repeat spends at least half a second of the shared budget.
    for (let isRepeat = false; ; isRepeat = true) {
      const began = performance.now();
      if (scenario.fresh) {
        await sys.stop();
        await sys.start();
      }
      const otherWork = watchOtherWork();
      const values = await scenario.measure(rc, sys);
      const other = otherWork();
      const shown = scenario.metrics.map((m) => `${m.key}=${values[m.key]?.toFixed(2)}`).join(" ");
      const note = `other work ${other.toFixed(0)}% of a core`;
      if (isRepeat) rc.repeatBudget.ms -= performance.now() - began;
      if (other > DISTURBED_PERCENT && rc.repeatBudget.ms > 0) {
        rc.results.repeated++;
        console.log(`  round ${round} ${sys.name.padEnd(12)} ${shown} (${note}: disturbed, repeating)`);
        const waitBegan = performance.now();
        await waitForQuiet();
        rc.repeatBudget.ms -= performance.now() - waitBegan;
        continue;
      }
      rc.results.add(scenario.id, scenario.metrics, sys.name, values, other);
      console.log(`  round ${round} ${sys.name.padEnd(12)} ${shown} (${note})`);
      return;
    }
  };
  for (let round = 1; round <= rc.settings.rounds; round++) {
    for (const sys of systems) {
      if (!failed.has(sys)) await attempt(sys, `round ${round}`, () => measure(sys, round), true);
    }
  }
}
