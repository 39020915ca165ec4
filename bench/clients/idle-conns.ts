// Idle keep-alive load: opens N connections, sends one small GET on each and reads its response,
// then holds them all open and idle. Prints {"ready":n,"failed":f} once every connection is done,
// waits for a line on stdin, then prints {"closedWhileIdle":c} (connections the peer dropped) and exits.
// Usage: bun bench/clients/idle-conns.ts <port> <upstream port for the header> <connections>
import type { Socket } from "bun";

const [portArg, targetArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const PARALLEL_OPENS = 200; // bounded burst, well under the listen backlog
const TIMEOUT_MS = 60_000;
const request = new TextEncoder().encode(
  `GET / HTTP/1.1\r\nHost: bench.localhost\r\nX-Cmux-Port-Internal: ${targetArg}\r\n\r\n`,
);
const decoder = new TextDecoder();

setTimeout(() => {
  console.error(`idle-conns: not finished within ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS).unref();

type Conn = { text: string; answered: boolean; settle: (ok: boolean) => void };
// Counts every answered connection that closes before we let go, whichever side closed it.
let closedWhileIdle = 0;
const held: Socket<Conn>[] = [];

// A response is complete once its head and Content-Length bytes are in.
function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
  return len !== null && text.length - end - 4 >= Number(len[1]);
}

function openOne(): Promise<boolean> {
  return new Promise((settle) => {
    Bun.connect<Conn>({
      hostname: "127.0.0.1",
      port,
      data: { text: "", answered: false, settle },
      socket: {
        open(s) {
          s.write(request);
        },
        data(s, bytes) {
          s.data.text += decoder.decode(bytes);
          if (!s.data.answered && complete(s.data.text)) {
            const ok = s.data.text.startsWith("HTTP/1.1 200");
            s.data.answered = ok;
            s.data.text = "";
            if (ok) held.push(s);
            else s.end();
            s.data.settle(ok);
          }
        },
        close(s) {
          if (s.data.answered) closedWhileIdle++;
          else s.data.settle(false);
        },
        connectError(s) {
          s.data.settle(false);
        },
        error() {},
      },
    }).catch(() => settle(false));
  });
}

let failed = 0;
let next = 0;
async function worker() {
  while (next < count) {
    next++;
    if (!(await openOne())) failed++;
  }
}
await Promise.all(Array.from({ length: Math.min(PARALLEL_OPENS, count) }, worker));
console.log(JSON.stringify({ ready: held.length, failed }));

for await (const _line of console) break;
console.log(JSON.stringify({ closedWhileIdle }));
for (const s of held) s.end();
process.exit(0);
