// How busy the machine is before the bench starts: other work on a shared box is the main source of
// noise, so the report says how much there was.
import { readFileSync } from "node:fs";

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
