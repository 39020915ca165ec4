// Loopback port helpers: pick free ports, and wait (bounded) until a started server accepts.
import type { Child } from "./children";
import { logTail } from "./children";

export const HOST = "127.0.0.1";

/** Asks the kernel for a free port; the tiny race with other programs is acceptable on a bench box. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: HOST, port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    Bun.connect({
      hostname: HOST,
      port,
      socket: {
        open(s) {
          s.end();
          resolve(true);
        },
        data() {},
        connectError() {
          resolve(false);
        },
        error() {
          resolve(false);
        },
      },
    }).catch(() => resolve(false));
  });
}

/** Resolves once `port` accepts a TCP connection; fails early if `child` exits, or after timeoutMs. */
export async function waitForPort(port: number, child: Child, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.name} exited before listening on ${port}:\n${logTail(child)}`);
    }
    if (await tryConnect(port)) return;
    await Bun.sleep(50);
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms:\n${logTail(child)}`);
}
