// A browser loading a dev server's page: `connections` keep-alive connections (a browser's limit
// per host) fetch `modules` different modules, each connection taking the next module as soon as
// its previous one has arrived, with Chromium's request head (bench/dev/heads.ts). The time to
// fetch all of them is one page load; loads repeat on the same (warm) connections for `seconds`.
// Usage: bun bench/clients/page-load.ts <port> <upstream port for the header> <connections> <modules> <seconds>
// Prints one JSON line: {"loads":n,"median_ms":m,"min_ms":m}
import { browserRequest, modulePath } from "../dev/heads";
import { median } from "../stats";
import { KeepAliveConn } from "./keepalive-conn";

const [portArg, targetArg, connArg, modulesArg, secondsArg] = process.argv.slice(2).map(Number);
const seconds = secondsArg!;
const MAX_LOADS = 10_000;
const MIN_LOADS = 3;
const TIMEOUT_MS = seconds * 1000 + 30_000;

setTimeout(() => {
  console.error(`page-load: not finished within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS).unref();

const requests = Array.from({ length: modulesArg! }, (_, i) => Buffer.from(browserRequest(modulePath(i), targetArg!), "latin1"));

async function pageLoad(conns: KeepAliveConn[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (next < requests.length) {
        const i = next++;
        const status = await c.fetch(requests[i]!);
        if (status !== 200) throw new Error(`module ${i}: status ${status}`);
      }
    }),
  );
  return performance.now() - started;
}

try {
  const conns = await Promise.all(Array.from({ length: connArg! }, () => KeepAliveConn.open(portArg!)));
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (times.length < MAX_LOADS && (times.length < MIN_LOADS || performance.now() < until)) times.push(await pageLoad(conns));
  for (const c of conns) c.close();
  console.log(JSON.stringify({ loads: times.length, median_ms: median(times), min_ms: Math.min(...times) }));
  process.exit(0);
} catch (err) {
  console.error(`page-load: ${(err as Error).message}`);
  process.exit(1);
}
