// What a running process holds, from /proc: open descriptors, sockets among them, CPU time used.
// Fault tests compare these before and after to prove nothing leaked and nothing spins.

import { readFileSync, readdirSync, readlinkSync } from "node:fs";

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return n;
}

/** User + system CPU seconds the process has used so far (all threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at ") ".
  const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}
