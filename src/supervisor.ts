// --workers N: N copies of the proxy share each listen address (SO_REUSEPORT, so the kernel spreads
// new connections across them). This process only supervises: it restarts a worker that dies,
// passes SIGINT/SIGTERM on to all of them and exits once they have finished.

import type { Subprocess } from "bun";
import { log } from "./log";

/** Set in a worker's environment: it serves instead of supervising. */
export const WORKER_ENV = "CMUX_WORKER_ID";

/** What a worker sends once it listens. A worker that dies before saying so failed to start (port
 * taken, ...): restarting it would only loop, so the whole proxy stops with its exit code. */
export const READY_MESSAGE = "cmux-proxy:ready";
const RESTART_DELAY_MS = 200;

/** How to start this same program again: a compiled binary is its own entry point. */
function selfCommand(): string[] {
  const args = process.argv.slice(2);
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath, ...args] : [process.execPath, Bun.main, ...args];
}

export async function supervise(workers: number, shutdownSeconds: number): Promise<never> {
  const cmd = selfCommand();
  const procs: (Subprocess | null)[] = new Array(workers).fill(null);
  let stopping = false;

  const start = (i: number): void => {
    let ready = false;
    const p = Bun.spawn(cmd, {
      env: { ...process.env, [WORKER_ENV]: String(i) },
      stdio: ["ignore", "inherit", "inherit"],
      ipc(message) {
        if (message === READY_MESSAGE) ready = true;
      },
    });
    procs[i] = p;
    void p.exited.then((code) => {
      procs[i] = null;
      if (stopping) return;
      if (!ready) {
        log.error(`worker ${i} exited with code ${code} while starting; stopping`);
        stopAll("SIGTERM");
        void allExited().then(() => process.exit(code || 1));
        return;
      }
      log.warn(`worker ${i} (pid ${p.pid}) exited with code ${code}; restarting`);
      setTimeout(() => stopping || start(i), RESTART_DELAY_MS);
    });
  };

  const stopAll = (sig: NodeJS.Signals): void => {
    stopping = true;
    for (const p of procs) p?.kill(sig);
  };
  const allExited = () => Promise.all(procs.map((p) => p?.exited));

  for (let i = 0; i < workers; i++) start(i);
  log.info(`supervising ${workers} workers (pid ${process.pid})`);

  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      stopAll("SIGKILL");
      process.exit(1);
    }
    stopAll(sig);
    const timer = setTimeout(() => stopAll("SIGKILL"), (shutdownSeconds + 2) * 1000);
    void allExited().then(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  return new Promise<never>(() => {});
}
