// Long or resource-hungry tests run only with CMUX_HEAVY=1 (CI sets it; see .ci/run). They also need
// more descriptors than a default shell gives: this checks up front and says what to run instead.

import { readFileSync } from "node:fs";

export const HEAVY = process.env.CMUX_HEAVY === "1";

/** The soft open-file limit of a process, this one by default (Bun raises it to the hard limit at start-up). */
export function fdLimit(pid: number | "self" = "self"): number {
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
