// One snapshot of every process from /proc: parent and CPU time. Shared by the memory reading (a
// proxy's whole process tree) and the check for other work competing with the bench.
import { readdirSync, readFileSync } from "node:fs";

/** CPU times in clock ticks (USER_HZ, 100 a second on Linux). */
export type Proc = { ppid: number; cpuTicks: number; userTicks: number; systemTicks: number };

export function processTable(): Map<number, Proc> {
  const table = new Map<number, Proc>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ')',
      // with the state first; ppid, utime and stime follow at fixed places.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const user = Number(f[11]);
      const system = Number(f[12]);
      table.set(Number(name), { ppid: Number(f[1]), cpuTicks: user + system, userTicks: user, systemTicks: system });
    } catch {
      // exited while we listed it
    }
  }
  return table;
}

/** `root` and every process below it; a child forked by any thread of its parent is found. */
export function descendants(table: Map<number, Proc>, root: number): Set<number> {
  const tree = new Set([root]);
  // Parents do not come before their children in /proc order: repeat until nothing is added.
  for (let grew = true, passes = 0; grew && passes < 16; passes++) {
    grew = false;
    for (const [pid, p] of table) {
      if (!tree.has(pid) && tree.has(p.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** User and system CPU ticks of `root` and every process below it. */
export function treeCpuTicks(root: number): { user: number; system: number } {
  const table = processTable();
  let user = 0;
  let system = 0;
  for (const pid of descendants(table, root)) {
    const p = table.get(pid);
    if (p === undefined) continue;
    user += p.userTicks;
    system += p.systemTicks;
  }
  return { user, system };
}
