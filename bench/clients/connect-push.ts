// Tunnel load generator: one connection, optionally opened with CONNECT through the proxy, then
// "PUSH <n>\n" and n bytes to the sink, timed until the sink confirms it counted them all.
// Usage: bun bench/clients/connect-push.ts <port> <bytes> [connect <sink port>]
// Prints one JSON line: {"bytes":n,"seconds":s}
import type { Socket } from "bun";

const [portArg, bytesArg, mode, sinkPortArg] = process.argv.slice(2);
const port = Number(portArg);
const total = Number(bytesArg);
const CHUNK = new Uint8Array(256 * 1024).fill(120);
const TIMEOUT_MS = 120_000;

setTimeout(() => {
  console.error(`connect-push: no result within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS).unref();

type State = "tunnel" | "push" | "wait-done" | "finished";
let state: State = mode === "connect" ? "tunnel" : "push";
let reply = "";
let sent = 0;
let started = 0;
const decoder = new TextDecoder();

function pump(s: Socket<undefined>) {
  while (sent < total) {
    const pos = sent % CHUNK.length;
    const len = Math.min(CHUNK.length - pos, total - sent);
    const n = s.write(CHUNK.subarray(pos, pos + len));
    sent += n;
    if (n < len) return; // the rest goes on `drain`
  }
  state = "wait-done";
}

function startPush(s: Socket<undefined>) {
  state = "push";
  reply = "";
  started = performance.now();
  s.write(`PUSH ${total}\n`);
  pump(s);
}

await Bun.connect({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) {
      if (state === "tunnel") {
        s.write(`CONNECT bench.invalid:443 HTTP/1.1\r\nHost: bench.invalid:443\r\nX-Cmux-Port-Internal: ${sinkPortArg}\r\n\r\n`);
      } else {
        startPush(s);
      }
    },
    data(s, bytes) {
      reply += decoder.decode(bytes);
      if (state === "tunnel") {
        const end = reply.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!/^HTTP\/1\.[01] 200/.test(reply)) {
          console.error(`connect-push: tunnel refused: ${JSON.stringify(reply.slice(0, 200))}`);
          process.exit(1);
        }
        startPush(s);
      } else if (reply.includes("done\n")) {
        const seconds = (performance.now() - started) / 1000;
        console.log(JSON.stringify({ bytes: total, seconds }));
        state = "finished";
        s.end();
        process.exit(0);
      }
    },
    drain(s) {
      if (state === "push") pump(s);
    },
    close() {
      if (state === "finished") return;
      console.error(`connect-push: connection closed after ${sent} of ${total} bytes (state ${state})`);
      process.exit(1);
    },
    connectError(_s, err) {
      console.error(`connect-push: cannot connect to ${port}: ${err.message}`);
      process.exit(1);
    },
  },
});
