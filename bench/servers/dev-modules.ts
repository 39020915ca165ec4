// A dev server's module responses, byte for byte as Vite sends them (bench/dev/heads.ts): `GET
// /src/components/m<i>.tsx...` answers module i with Vite's 10 response fields and a few hundred
// bytes of JavaScript. Raw Bun.listen, so the upstream costs the same little for every system and
// nothing adds fields of its own. Keep-alive, pipelined requests answered in order.
// Usage: bun bench/servers/dev-modules.ts <port>
import type { Socket } from "bun";
import { moduleBody, viteResponseHead } from "../dev/heads";

const port = Number(process.argv[2]);
const MODULES = 1000;
const responses = Array.from({ length: MODULES }, (_, i) => {
  const body = moduleBody(i);
  return Buffer.from(viteResponseHead(body.length, `${body.length.toString(16)}-m${i}x7Q2`) + body, "latin1");
});
const NOT_FOUND = Buffer.from("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "latin1");
const PREFIX = "GET /src/components/m";

type Conn = { pending: string };

function answer(s: Socket<Conn>, head: string) {
  let r = NOT_FOUND;
  if (head.startsWith(PREFIX)) {
    const i = Number.parseInt(head.slice(PREFIX.length, PREFIX.length + 4), 10);
    if (i >= 0 && i < MODULES) r = responses[i]!;
  }
  // Module responses are small: the kernel takes them whole on loopback.
  s.write(r);
}

Bun.listen<Conn>({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) {
      s.data = { pending: "" };
    },
    data(s, bytes) {
      let text = s.data.pending + bytes.toString("latin1");
      for (let end = text.indexOf("\r\n\r\n"); end !== -1; end = text.indexOf("\r\n\r\n")) {
        answer(s, text.slice(0, end));
        text = text.slice(end + 4);
      }
      s.data.pending = text;
    },
    error() {},
  },
});
console.log(`dev-modules listening on 127.0.0.1:${port}`);
