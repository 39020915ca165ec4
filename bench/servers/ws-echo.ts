// WebSocket echo upstream: every message comes straight back.
// Usage: bun bench/servers/ws-echo.ts <port>
export {}; // a module, so its top-level names stay its own
const port = Number(process.argv[2]);

Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return undefined;
    return new Response("websocket only\n", { status: 426 });
  },
  websocket: {
    message(ws, message) {
      ws.send(message);
    },
  },
});
console.log(`ws-echo listening on 127.0.0.1:${port}`);
