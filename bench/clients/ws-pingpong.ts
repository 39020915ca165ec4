// WebSocket load generator: N connections, each sends a small message and sends the next as soon as
// the echo comes back, for a fixed time after all are open. Counts round trips.
// Usage: bun bench/clients/ws-pingpong.ts <port> <upstream port for the header> <connections> <seconds>
// Prints one JSON line: {"roundTrips":n,"seconds":s}
export {}; // a module, so its top-level names stay its own
const [portArg, targetArg, connArg, secondsArg] = process.argv.slice(2);
const connections = Number(connArg);
const seconds = Number(secondsArg);
const MESSAGE = "x".repeat(64);
const OPEN_TIMEOUT_MS = 10_000;

setTimeout(() => {
  console.error(`ws-pingpong: not finished within ${OPEN_TIMEOUT_MS + seconds * 1000 + 5000} ms`);
  process.exit(2);
}, OPEN_TIMEOUT_MS + seconds * 1000 + 5000).unref();

let running = false;
let roundTrips = 0;
let failure: string | undefined;
const sockets: WebSocket[] = [];

await new Promise<void>((resolve, reject) => {
  let open = 0;
  for (let i = 0; i < connections; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${portArg}/`, {
      headers: { "X-Cmux-Port-Internal": targetArg! },
    });
    ws.onopen = () => {
      if (++open === connections) resolve();
    };
    ws.onmessage = () => {
      if (!running) return;
      roundTrips++;
      ws.send(MESSAGE);
    };
    ws.onerror = (ev) => reject(new Error(`websocket ${i} failed: ${(ev as ErrorEvent).message}`));
    ws.onclose = (ev) => {
      if (running) failure ??= `websocket ${i} closed during the run (code ${ev.code})`;
      else reject(new Error(`websocket ${i} closed before the run (code ${ev.code})`));
    };
    sockets.push(ws);
  }
}).catch((err: Error) => {
  console.error(`ws-pingpong: ${err.message}`);
  process.exit(1);
});

running = true;
const started = performance.now();
for (const ws of sockets) ws.send(MESSAGE);
await Bun.sleep(seconds * 1000);
running = false;
const elapsed = (performance.now() - started) / 1000;
if (failure) {
  console.error(`ws-pingpong: ${failure}`);
  process.exit(1);
}
console.log(JSON.stringify({ roundTrips, seconds: elapsed }));
process.exit(0);
