// HTTP POST sink: reads the whole request body, then answers "ok". nginx's own `return 200` answers
// before the body is read, and a proxy then has to drop the connection: no keep-alive POST could be
// measured through it, so uploads go to this server instead.
// Usage: bun bench/servers/post-sink.ts <port>
export {}; // a module, so its top-level names stay its own
const port = Number(process.argv[2]);

Bun.serve({
  hostname: "127.0.0.1",
  port,
  maxRequestBodySize: 4 << 20,
  async fetch(req) {
    if (req.body) for await (const _chunk of req.body);
    return new Response("ok");
  },
});
console.log(`post-sink listening on 127.0.0.1:${port}`);
