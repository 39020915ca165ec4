// Runs wrk (one thread, pinned to the load core) and returns its JSON summary from wrk-report.lua.
import { type Children, logTail, waitExit } from "../children";
import { HOST } from "../net";

export type WrkRun = {
  port: number;
  path: string;
  connections: number;
  seconds: number;
  /** The X-Cmux-Port-Internal value: the upstream the proxies must route to. */
  target: number;
  /** Send `Connection: close`, so every request opens a new connection. */
  close?: boolean;
  /** POST a body of this many bytes instead of a GET. */
  bodyBytes?: number;
};

export type WrkResult = {
  requests: number;
  duration_us: number;
  bytes: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  status_errors: number;
  timeouts: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
};

export async function runWrk(children: Children, cpu: number, run: WrkRun): Promise<WrkResult> {
  const cmd = ["wrk", "-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "5s"];
  cmd.push("-s", `${import.meta.dir}/wrk-report.lua`, "-H", `X-Cmux-Port-Internal: ${run.target}`);
  if (run.close) cmd.push("-H", "Connection: close");
  cmd.push(`http://${HOST}:${run.port}${run.path}`);
  const child = children.spawn({
    name: "wrk",
    cpu,
    cmd,
    stdout: "pipe",
    env: { BENCH_BODY_BYTES: String(run.bodyBytes ?? 0) },
  });
  const out = new Response(child.proc.stdout as ReadableStream).text();
  const code = await waitExit(child, run.seconds * 1000 + 20_000);
  const text = await out;
  const line = text.split("\n").find((l) => l.startsWith("{"));
  const what = `wrk ${run.bodyBytes ? "POST" : "GET"} ${run.path}${run.close ? " (Connection: close)" : ""}`;
  if (code !== 0 || !line) throw new Error(`${what} failed (exit ${code}):\n${text}\n${logTail(child)}`);
  const result = JSON.parse(line) as WrkResult;
  const errors = result.connect_errors + result.read_errors + result.write_errors + result.status_errors + result.timeouts;
  // A few read errors are normal with Connection: close; more than 1% means the number is not a rate of successes.
  if (result.requests === 0 || errors > result.requests * 0.01) {
    throw new Error(`${what}: too many errors: ${line}`);
  }
  return result;
}
