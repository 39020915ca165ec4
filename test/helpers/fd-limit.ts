// Open-file limits in tests: run the proxy CLI under one (for spawnProxy's `cmd`), read a process's
// soft limit, and fail early, saying what to run instead, when a test needs more than it has.

import { readFileSync } from "node:fs";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

/** The CLI under `nofile` (soft and hard); above the caller's hard limit it is capped to it (raising that needs CAP_SYS_RESOURCE). */
export function cliWithFdLimit(nofile: number): string[] {
  const script = `n=${nofile}; h=$(ulimit -Hn); if [ "$h" != unlimited ] && [ "$h" -lt "$n" ]; then n=$h; fi; ulimit -n "$n" && exec bun "$0" "$@"`;
  return ["bash", "-c", script, CLI];
}

/** The soft open-file limit of a process, this one by default (Bun raises it to the hard limit at start-up). */
function fdLimit(pid: number | "self" = "self"): number {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === "unlimited" ? Infinity : Number(soft);
}

/** Fails the test early, saying what to do, when a process (this one by default) may not open `n` files. */
export function requireFdLimit(n: number, pid: number | "self" = "self"): void {
  const have = fdLimit(pid);
  if (have < n) throw new Error(`this test needs ${n} open files in ${pid === "self" ? "the test process" : "the proxy"}, the limit is ${have}: run it under \`ulimit -n 65536\``);
}
