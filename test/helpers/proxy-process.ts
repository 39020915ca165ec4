// The proxy as a real process (`bun src/cli.ts`), for what only a process shows: start-up lines,
// exit codes, signals, RSS.

import type { Subprocess } from "bun";
import { Wake, waitFor } from "./wait";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

export interface ProxyProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Ports from the "listening on" line, in order. */
  ports: number[];
  output: () => string;
  /** Resolves true once the output contains `text`: the pipes lag behind the process's own writes. */
  waitOutput(text: string, ms?: number): Promise<boolean>;
  stop(): Promise<number>;
}

/** Starts the CLI and resolves once it prints its listening line (or rejects with its output). */
export async function spawnProxy(args: string[], env: Record<string, string> = {}, cmd: string[] = ["bun", CLI]): Promise<ProxyProcess> {
  const proc = Bun.spawn([...cmd, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  let out = "";
  const wake = new Wake();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) {
      out += new TextDecoder().decode(chunk);
      wake.notify();
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const listening = () => /listening on .*\n/.test(out);
  await waitFor(() => listening() || proc.exitCode !== null, 10_000, 20, wake);
  if (!listening()) {
    proc.kill("SIGKILL");
    await proc.exited;
    throw new Error(`proxy did not start: ${out}`);
  }
  const line = /listening on (.*)\n/.exec(out)![1]!;
  const ports = [...line.matchAll(/:(\d+)(?:,|\s|$)/g)].map((m) => Number(m[1]));
  return {
    proc,
    ports,
    output: () => out,
    waitOutput: (text, ms = 5000) => waitFor(() => out.includes(text), ms, 20, wake),
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      return proc.exited;
    },
  };
}

/** Runs the CLI to completion (for commands that exit on their own), bounded in time. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(["bun", CLI, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  const [o, e] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, out: o + e };
}

function statusKiB(pid: number, field: string): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
}

export function rssKiB(pid: number): number {
  return statusKiB(pid, "VmRSS");
}

/** Resident anonymous memory (heap, buffers): RSS without the executable's pages, which the first
 * use of a code path reads in from the file (shared, and given back under memory pressure). */
export function anonRssKiB(pid: number): number {
  return statusKiB(pid, "RssAnon");
}
