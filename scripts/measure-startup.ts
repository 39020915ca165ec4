#!/usr/bin/env bun
// Start-up time to the listening line, the figure the README quotes: starts the command N times
// with `--listen 127.0.0.1:0`, measures from spawn to the "listening on" log line, kills it.
//
//   bun scripts/measure-startup.ts [--runs N] [-- COMMAND...]    (default: dist/cmux-proxy-<host target>)

import { parseArgs } from "node:util";
import { hostTarget } from "./targets";

const { values, positionals } = parseArgs({ options: { runs: { type: "string", default: "20" } }, allowPositionals: true });
const runs = Number(values.runs);
const target = hostTarget();
const command = positionals.length > 0 ? positionals : [new URL(`../dist/cmux-proxy-${target?.name}`, import.meta.url).pathname];

async function startOnce(): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([...command, "--listen", "127.0.0.1:0"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let seen = "";
  const watch = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      seen += new TextDecoder().decode(chunk);
      if (seen.includes("listening on")) return performance.now() - started;
    }
    return Number.NaN;
  };
  const timeout = Bun.sleep(10_000).then(() => Number.NaN);
  const ms = await Promise.race([watch(proc.stdout), watch(proc.stderr), timeout]);
  proc.kill("SIGKILL");
  await proc.exited;
  if (Number.isNaN(ms)) throw new Error(`${command.join(" ")} printed no listening line within 10s: ${seen}`);
  return ms;
}

const times: number[] = [];
for (let i = 0; i < runs; i++) times.push(await startOnce());
times.sort((a, b) => a - b);
const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
console.log(`${command.join(" ")}: ${runs} starts to "listening on": median ${pick(0.5)} ms, min ${pick(0)} ms, p90 ${pick(0.9)} ms, max ${pick(1)} ms`);
