// bun-pipe: the least any Bun proxy must do. Every accepted connection is piped byte for byte to
// one fixed upstream, with backpressure and no parsing: the ceiling for a proxy on Bun.listen.
// Usage: bun bench/servers/bun-pipe.ts <listen port> <upstream port>
import type { Socket } from "bun";

type End = { peer: Socket<End> | undefined; backlog: Uint8Array | undefined };
const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);

// What the kernel does not take waits for the receiver's `drain`, and the sender pauses meanwhile.
function data(from: Socket<End>, bytes: Uint8Array) {
  const to = from.data.peer!;
  if (to.data.backlog) return void (to.data.backlog = Buffer.concat([to.data.backlog, bytes]));
  const n = to.write(bytes);
  if (n < bytes.length) (to.data.backlog = bytes.slice(n)), from.pause();
}
function drain(to: Socket<End>) {
  const rest = to.data.backlog;
  const n = rest ? to.write(rest) : 0;
  to.data.backlog = rest && n < rest.length ? rest.slice(n) : undefined;
  if (!to.data.backlog) to.data.peer?.resume();
}
const close = (s: Socket<End>) => void s.data.peer?.end();
const handlers = { data, drain, close, error() {} };

Bun.listen<End>({
  hostname: "127.0.0.1",
  port: listenPort!,
  socket: {
    ...handlers,
    open(client) {
      client.data = { peer: undefined, backlog: undefined };
      client.pause(); // no reading until there is an upstream to write to
      const connecting = Bun.connect<End>({
        hostname: "127.0.0.1",
        port: upstreamPort!,
        data: { peer: client, backlog: undefined },
        socket: { ...handlers, open: (up) => void ((client.data.peer = up), client.resume()) },
      });
      connecting.catch(() => client.end());
    },
  },
});
console.log(`bun-pipe 127.0.0.1:${listenPort} -> 127.0.0.1:${upstreamPort}`);
