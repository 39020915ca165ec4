// Every process the bench starts goes through here, so that every one of them is pinned to a core,
// gets the raised open-file limit, logs to a file, and is stopped on exit, Ctrl-C or error.
import { openSync, closeSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";

export type Child = {
  name: string;
  proc: Subprocess<"ignore" | "pipe", "pipe" | number, number>;
  logPath: string;
};

export type SpawnOptions = {
  name: string;
  cmd: string[];
  /** `taskset -c` list: one core, or several ("0,1"). */
  cpu: number | string;
  /** "pipe" to read the child's stdout (load generators report on it); otherwise it goes to the log. */
  stdout?: "pipe";
  stdin?: "pipe";
  env?: Record<string, string>;
  cwd?: string;
};

const STOP_GRACE_MS = 2000;

export class Children {
  private readonly live = new Set<Child>();
  private stopping = false;
  private logSeq = 0;

  constructor(
    private readonly logDir: string,
    private readonly nofile: number,
    /** Niceness for every child (negative = ahead of other work on a shared machine; needs root). */
    private readonly nice: number,
  ) {}

  spawn(opts: SpawnOptions): Child {
    if (this.stopping) throw new Error(`not starting ${opts.name}: the bench is stopping`);
    const logPath = `${this.logDir}/${String(++this.logSeq).padStart(3, "0")}-${opts.name}.log`;
    const logFd = openSync(logPath, "a");
    // exec keeps the pid, so the pid we hold is the real program's, after ulimit, nice and taskset.
    const wrapper = 'ulimit -n "$0" || exit 111; cpu="$1"; nice="$2"; shift 2; exec nice -n "$nice" taskset -c "$cpu" "$@"';
    const args = [String(this.nofile), String(opts.cpu), String(this.nice), ...opts.cmd];
    const proc = Bun.spawn(["sh", "-c", wrapper, ...args], {
      stdin: opts.stdin ?? "ignore",
      stdout: opts.stdout ?? logFd,
      stderr: logFd,
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
    });
    closeSync(logFd);
    const child: Child = { name: opts.name, proc, logPath };
    this.live.add(child);
    void proc.exited.then(() => this.live.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  async stop(child: Child): Promise<void> {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    child.proc.kill("SIGTERM");
    const timer = setTimeout(() => child.proc.kill("SIGKILL"), STOP_GRACE_MS);
    await child.proc.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.live].map((c) => this.stop(c)));
  }

  /** Last resort from a synchronous 'exit' handler: nothing can be awaited there. */
  killAllNow(): void {
    for (const c of this.live) c.proc.kill("SIGKILL");
  }
}

export function logTail(child: Child, lines = 15): string {
  try {
    const text = readFileSync(child.logPath, "utf8").trimEnd();
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Waits for a child to exit within timeoutMs; kills it and throws if it does not. */
export async function waitExit(child: Child, timeoutMs: number): Promise<number> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.proc.kill("SIGKILL");
  }, timeoutMs);
  const code = await child.proc.exited;
  clearTimeout(timer);
  if (timedOut) throw new Error(`${child.name} did not finish within ${timeoutMs} ms (log: ${child.logPath})`);
  return code;
}
