// How busy the machine is with other work: on a shared box that is the main source of noise, so
// the bench measures it before, during and after the run.
import { readFileSync } from "node:fs";
import { descendants, processTable } from "./procfs";

type Ticks = Map<string, { busy: number; total: number }>;

function ticks(): Ticks {
  const out: Ticks = new Map();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user .. steal
    out.set(m[1]!, { busy: total - idle, total });
  }
  return out;
}

/** Percent busy of each CPU over the next `ms` milliseconds, e.g. { cpu0: 3, cpu1: 41 }. */
export async function cpuBusy(ms: number): Promise<Record<string, number>> {
  const a = ticks();
  await Bun.sleep(ms);
  const b = ticks();
  const out: Record<string, number> = {};
  for (const [cpu, end] of b) {
    const start = a.get(cpu);
    if (!start || end.total === start.total) continue;
    out[cpu] = Math.round((100 * (end.busy - start.busy)) / (end.total - start.total));
  }
  return out;
}

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

/**
 * Starts watching for other work: CPU time used meanwhile by processes that are neither the bench's
 * (this process and everything below it) nor kernel threads. The returned function gives it as a
 * percentage of one core over the time since the start. Processes that start and end in between
 * are not seen; the test suites that share a development machine run long enough to be.
 */
export function watchOtherWork(): () => number {
  const started = performance.now();
  const before = processTable();
  return () => {
    const after = processTable();
    const ours = descendants(after, process.pid);
    let ticks = 0;
    for (const [pid, p] of after) {
      if (ours.has(pid) || pid === 2 || p.ppid === 2) continue;
      ticks += p.cpuTicks - (before.get(pid)?.cpuTicks ?? 0); // a newcomer: all its time is in the window
    }
    const seconds = (performance.now() - started) / 1000;
    return (100 * ticks) / TICKS_PER_SECOND / seconds;
  };
}
