// Resident memory of a process and all its descendants (nginx master + workers), from /proc.
import { readFileSync } from "node:fs";
import { descendants, processTable } from "./procfs";

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? 0 : Number(kib) * 1024;
}

export function treeRss(pid: number): number {
  let total = 0;
  for (const p of descendants(processTable(), pid)) {
    try {
      total += rssBytes(p);
    } catch {
      // exited between listing and reading
    }
  }
  return total;
}
