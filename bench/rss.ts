// Resident memory of a process and all its descendants (nginx master + workers), from /proc.
import { readdirSync, readFileSync } from "node:fs";

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? 0 : Number(kib) * 1024;
}

/** pid -> parent pid for every process now; a child forked by any thread of its parent is found. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      map.set(Number(name), ppid);
    } catch {
      // exited while we listed it
    }
  }
  return map;
}

export function treeRss(pid: number): number {
  const ppid = parents();
  const tree = new Set([pid]);
  // Descendants appear after their parent in no particular order: repeat until nothing is added.
  for (let grew = true, passes = 0; grew && passes < 16; passes++) {
    grew = false;
    for (const [p, parent] of ppid) {
      if (!tree.has(p) && tree.has(parent)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const p of tree) {
    try {
      total += rssBytes(p);
    } catch {
      // exited between listing and reading
    }
  }
  return total;
}
