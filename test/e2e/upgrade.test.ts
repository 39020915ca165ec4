// WebSocket upgrades through the proxy (checklist rows 28-29) against a real Bun.serve WebSocket echo.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawExchange, statuses, startTestProxy, type TestProxy } from "../helpers/net";

let proxy: TestProxy;
let upstream: ReturnType<typeof Bun.serve>;
const seenHeaders: Record<string, string>[] = [];

beforeAll(() => {
  proxy = startTestProxy();
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      const url = new URL(req.url);
      if (url.pathname === "/deny") return new Response("no websockets here", { status: 403 });
      seenHeaders.push(Object.fromEntries(req.headers));
      if (server.upgrade(req, { data: undefined })) return undefined;
      return new Response("plain " + url.pathname);
    },
    websocket: {
      message(ws, msg) {
        ws.send(typeof msg === "string" ? `echo:${msg}` : msg);
      },
    },
  });
});
afterAll(async () => {
  upstream.stop(true);
  await proxy.stop();
});

function openWs(headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`, { headers } as any);
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("websocket open timed out")), 5000);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`websocket error ${String(e)}`));
    };
  });
}

function nextMessage(ws: WebSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no websocket message within 5s")), 5000);
    ws.onmessage = (e) => {
      clearTimeout(timer);
      resolve(e.data);
    };
  });
}

test("28: the handshake reaches upstream with its headers, 101 is relayed, frames flow both ways", async () => {
  seenHeaders.length = 0;
  const ws = await openWs({ "X-Cmux-Port-Internal": String(upstream.port), "Sec-WebSocket-Protocol": "chat" });
  try {
    const reply = nextMessage(ws);
    ws.send("hello");
    expect(await reply).toBe("echo:hello");
    const bin = new Uint8Array(100_000).map((_, i) => i & 255);
    const binReply = nextMessage(ws);
    ws.send(bin);
    expect(new Uint8Array((await binReply) as ArrayBuffer)).toEqual(bin);
  } finally {
    ws.close();
  }
  const h = seenHeaders[0]!;
  expect(h["upgrade"]?.toLowerCase()).toBe("websocket");
  expect(h["connection"]?.toLowerCase()).toBe("upgrade");
  expect(h["sec-websocket-key"]).toBeString();
  expect(h["sec-websocket-version"]).toBe("13");
  expect(h["sec-websocket-protocol"]).toBe("chat");
  expect(h["x-cmux-port-internal"]).toBeUndefined();
});

test("28: 16 concurrent WebSocket clients each get their own echoes", async () => {
  const clients = await Promise.all(Array.from({ length: 16 }, () => openWs({ "X-Cmux-Port-Internal": String(upstream.port) })));
  try {
    const results = await Promise.all(
      clients.map(async (ws, i) => {
        const got: string[] = [];
        for (let k = 0; k < 20; k++) {
          const reply = nextMessage(ws);
          ws.send(`c${i}-m${k}`);
          got.push(String(await reply));
        }
        return got;
      }),
    );
    results.forEach((got, i) => expect(got).toEqual(Array.from({ length: 20 }, (_, k) => `echo:c${i}-m${k}`)));
  } finally {
    for (const ws of clients) ws.close();
  }
});

test("29: a refused upgrade is relayed as a normal response and the connection stays usable", async () => {
  const p = upstream.port;
  const upgradeReq = `GET /deny HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${p}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const plainReq = `GET /after HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${p}\r\n\r\n`;
  const r = await rawExchange(proxy.port, [upgradeReq, 200, plainReq], { until: (s) => s.includes("plain /after") });
  expect(statuses(r.text)).toEqual([403, 200]);
  expect(r.text).toContain("no websockets here");
  expect(r.text).toContain("plain /after");
  expect(r.closed).toBe(false);
});

test("the Host subdomain <workspace>-<port>.localhost routes a WebSocket without custom headers", async () => {
  const wsUp = Bun.serve({
    hostname: "127.18.0.5",
    port: 0,
    fetch(req, server) {
      return server.upgrade(req) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      message(ws, msg) {
        ws.send(`workspace-5:${msg}`);
      },
    },
  });
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`, { headers: { Host: `workspace-5-${wsUp.port}.localhost:${proxy.port}` } } as any);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("open timed out")), 5000);
      ws.onopen = () => (clearTimeout(timer), resolve());
      ws.onerror = () => (clearTimeout(timer), reject(new Error("websocket error")));
    });
    const reply = nextMessage(ws);
    ws.send("hi");
    expect(await reply).toBe("workspace-5:hi");
    ws.close();
  } finally {
    wsUp.stop(true);
  }
});
