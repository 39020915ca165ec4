// A workspace's web app for the end-to-end story: a page that opens a WebSocket back to its own
// origin and writes the echoed message into the DOM, the WebSocket echo itself, and POST /echo for
// byte-checked HTTP through a CONNECT tunnel. Started through the shim inside a workspace, so its
// "127.0.0.1" is the workspace's address.
//
//   bun scripts/e2e/ws-page-server.ts <port> <workspace name shown on the page>

export {}; // a module, not a script: its own scope and top-level await

const port = Number(process.argv[2]);
const workspace = process.argv[3] ?? "";
if (!Number.isInteger(port) || port < 1 || port > 65535 || workspace === "") {
  console.error("usage: ws-page-server.ts <port> <workspace>");
  process.exit(2);
}

// The message comes from the query string so the browser check chooses what it expects back.
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>cmux-proxy e2e: ${workspace}</title>
<style>body{font:18px system-ui,sans-serif;margin:2em}code{background:#eee;padding:0 .3em}</style></head>
<body>
<h1>served from <span id="workspace">${workspace}</span></h1>
<p>WebSocket: <span id="status">connecting</span></p>
<p>echo: <code id="echo"></code></p>
<script>
const msg = new URLSearchParams(location.search).get("msg") || "hello";
const ws = new WebSocket("ws://" + location.host + "/ws");
const status = document.getElementById("status");
ws.onopen = () => { status.textContent = "open, sent " + JSON.stringify(msg); ws.send(msg); };
ws.onmessage = (e) => { document.getElementById("echo").textContent = e.data; status.textContent = "echoed"; ws.close(); };
ws.onerror = () => { status.textContent = "error"; };
</script>
</body></html>
`;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  async fetch(req, srv) {
    const path = new URL(req.url).pathname;
    if (path === "/ws") {
      return srv.upgrade(req) ? undefined : new Response("expected a WebSocket upgrade\n", { status: 426 });
    }
    if (path === "/echo" && req.method === "POST") {
      return new Response(await req.arrayBuffer(), { headers: { "content-type": "application/octet-stream" } });
    }
    if (path === "/") return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
    // Browsers ask for it unprompted; an empty answer keeps their console free of a misleading 404.
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    return new Response("not found\n", { status: 404 });
  },
  websocket: {
    // Echo exactly what came in, text as text and binary as binary.
    message(ws, message) {
      ws.send(message);
    },
  },
});

console.log(`ws-page-server (${workspace}) serving on port ${server.port}`);
