// Shared pieces of the shim's tests: build the shim and the C helpers, lay out workspace directories,
// and start processes with the shim loaded, with bounded waits and guaranteed cleanup.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const REPO = resolve(import.meta.dir, "../..");
export const SHIM = join(REPO, "ldpreload/libworkspace_net.so");

// Workspace IPs from test/vectors/workspace-ip.json.
export const IP_A = "127.18.176.32";
export const IP_B = "127.18.180.217";

export type RunResult = { code: number | null; stdout: string; stderr: string };

/** The environment a child starts from: ours, minus anything that would load or steer the shim. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== "LD_PRELOAD" && !k.startsWith("CMUX_")) env[k] = v;
  }
  return { ...env, ...extra };
}

export function shimEnv(extra: Record<string, string> = {}): Record<string, string> {
  return baseEnv({ LD_PRELOAD: SHIM, ...extra });
}

/** Runs a command to completion; killed (and reported with code null) after `timeoutMs`. */
export async function run(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd ?? REPO,
    env: opts.env ?? baseEnv(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 10_000);
  try {
    const [stdout, stderr] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    const code = await proc.exited;
    return { code: proc.signalCode === "SIGKILL" ? null : code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

export async function mustRun(cmd: string[], opts: Parameters<typeof run>[1] = {}): Promise<RunResult> {
  const r = await run(cmd, opts);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r;
}

/** `make -C ldpreload`, exactly as a user builds it. */
export async function buildShim(): Promise<void> {
  await mustRun(["make", "-C", join(REPO, "ldpreload")], { timeoutMs: 60_000 });
}

/** Compiles a test helper with the same warning flags the shim uses. */
export async function compileC(out: string, sources: string[], flags: string[] = []): Promise<void> {
  await mustRun(
    ["gcc", "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", ...flags, "-o", out, ...sources],
    { timeoutMs: 60_000 },
  );
}

export type Workspaces = { root: string; outside: string; a: string; b: string };

/** `<tmp>/workspace-a/app` and `<tmp>/workspace-b/app` (servers start one level down, so detection
 * has to walk up) plus `<tmp>/outside`; each app dir serves a whoami.txt naming its workspace. */
export function makeWorkspaces(): Workspaces {
  const root = mkdtempSync(join(tmpdir(), "cmux-shim-"));
  if (/(^|\/)workspace-/.test(root)) throw new Error(`temp dir ${root} is itself inside a workspace`);
  const dirs = { root, outside: join(root, "outside"), a: join(root, "workspace-a/app"), b: join(root, "workspace-b/app") };
  for (const d of [dirs.outside, dirs.a, dirs.b]) mkdirSync(d, { recursive: true });
  writeFileSync(join(dirs.a, "whoami.txt"), "workspace-a\n");
  writeFileSync(join(dirs.b, "whoami.txt"), "workspace-b\n");
  return dirs;
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export { freePort } from "../helpers/net";

/** A long-running child whose stdout and stderr are collected, so tests can wait for a line. */
export class Child {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  private text = "";
  private readonly waiters = new Set<() => void>();
  private readonly collected: Promise<unknown>;

  constructor(cmd: string[], opts: { cwd: string; env: Record<string, string> }) {
    this.proc = Bun.spawn(cmd, { ...opts, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    this.collected = Promise.all([this.collect(this.proc.stdout), this.collect(this.proc.stderr)]);
    void this.proc.exited.then(() => this.notify());
  }

  get output(): string {
    return this.text;
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.text += decoder.decode(chunk, { stream: true });
      this.notify();
    }
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves with the first match of `re` in the output; rejects on exit or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const m = this.text.match(re);
        if (m) return done(() => resolvePromise(m));
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          done(() => reject(new Error(`exited (${this.proc.exitCode}) before ${re}:\n${this.text}`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${re} within ${timeoutMs} ms:\n${this.text}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the child to exit on its own (a server that must fail to start) and for its output,
   * which the pipes may still hold when the exit is seen. */
  async exited(timeoutMs = 10_000): Promise<number | null> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    try {
      const code = await this.proc.exited;
      await Promise.race([this.collected, Bun.sleep(2000)]);
      return code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within 3 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 3_000);
    try {
      await this.proc.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `curl` to a loopback URL, with the shim (cwd = a workspace) or without it. */
export function curl(url: string, opts: { cwd: string; env: Record<string, string> }): Promise<RunResult> {
  return run(["curl", "-sS", "--max-time", "5", url], { ...opts, timeoutMs: 10_000 });
}

// curl's exit code for "Failed to connect" (here: connection refused).
export const CURL_COULDNT_CONNECT = 7;
