// Long-lived streams are never cut by the proxy's timeouts (README "Dev servers"): an idle WebSocket,
// a quiet Server-Sent Events response and an idle CONNECT tunnel, with --idle-timeout,
// --head-timeout, --upstream-timeout and --tcp-keepalive all at 1 s. Each stream goes quiet for
// 3.2 s (three times every limit, plus the sweep's lateness) and must still carry bytes both ways.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectClient, waitClient, type RawClient } from "../helpers/raw-client";
import { rawUpstream, startTestProxy, type TestProxy, type UpstreamConn } from "../helpers/net";

const SILENCE_MS = 3200;
const LIMITS = { idleTimeout: 1, headTimeout: 1, upstreamTimeout: 1, tcpKeepAlive: 1 };

let proxy: TestProxy;
let wsServer: ReturnType<typeof Bun.serve>;
let sse: ReturnType<typeof rawUpstream>;
let echo: ReturnType<typeof rawUpstream>;
let ws: WebSocket;
let wsClosed = false;
let sseClient: RawClient;
let tunnel: RawClient;
/** The control: a plain keep-alive connection, idle after one response, which the proxy must close. */
let idleKeepAlive: RawClient;

function chunk(text: string): string {
  return `${text.length.toString(16)}\r\n${text}\r\n`;
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no WebSocket message within 5 s")), 5000);
    socket.onmessage = (e) => {
      clearTimeout(timer);
      resolve(String(e.data));
    };
  });
}

beforeAll(async () => {
  proxy = startTestProxy(LIMITS);
  wsServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      return server.upgrade(req, { data: undefined }) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      message(socket, msg) {
        socket.send(`echo:${String(msg)}`);
      },
    },
  });
  // An SSE endpoint: the head and one event at once, then whatever the test makes it send later.
  sse = rawUpstream((c: UpstreamConn) => {
    if (!c.received.includes("\r\n\r\n")) return;
    c.received = "";
    c.socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("data: first\n\n"));
  });
  echo = rawUpstream((c: UpstreamConn) => {
    c.socket.write(c.received);
    c.received = "";
  });

  // Open the three streams, each checked working before the silence.
  ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/hmr`, { headers: { "X-Cmux-Port-Internal": String(wsServer.port) } } as any);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("WebSocket open timed out")), 5000);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.onerror = () => reject(new Error("WebSocket error"));
  });
  ws.onclose = () => {
    wsClosed = true;
  };
  const hello = nextMessage(ws);
  ws.send("before");
  expect(await hello).toBe("echo:before");

  sseClient = await connectClient(proxy.port);
  sseClient.socket.write(`GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nX-Cmux-Port-Internal: ${sse.port}\r\n\r\n`);
  expect(await waitClient(sseClient, (c) => c.text.includes("data: first"), 5000)).toBe(true);

  tunnel = await connectClient(proxy.port);
  tunnel.socket.write(`CONNECT ignored:1 HTTP/1.1\r\nHost: ignored:1\r\nX-Cmux-Port-Internal: ${echo.port}\r\n\r\nbefore`);
  expect(await waitClient(tunnel, (c) => c.text.endsWith("before"), 5000)).toBe(true);
  expect(tunnel.text.startsWith("HTTP/1.1 200 Connection Established\r\n\r\n")).toBe(true);

  idleKeepAlive = await connectClient(proxy.port);
  idleKeepAlive.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${wsServer.port}\r\n\r\n`);
  expect(await waitClient(idleKeepAlive, (c) => c.text.includes("\r\n\r\nno"), 5000)).toBe(true);

  // The silence is the subject of these tests, not a wait for an event: nothing may happen in it.
  await Bun.sleep(SILENCE_MS);
});

afterAll(async () => {
  ws?.close();
  sseClient?.socket.end();
  tunnel?.socket.end();
  idleKeepAlive?.socket.end();
  wsServer?.stop(true);
  sse?.stop();
  echo?.stop();
  await proxy?.stop();
});

describe(`quiet for ${SILENCE_MS} ms with every timeout at 1 s`, () => {
  test("the control: an idle keep-alive connection was closed by --idle-timeout meanwhile", () => {
    expect(idleKeepAlive.closedAt).toBeGreaterThan(0);
  });

  test("an idle WebSocket stays open and still echoes", async () => {
    expect(wsClosed).toBe(false);
    const reply = nextMessage(ws);
    ws.send("after");
    expect(await reply).toBe("echo:after");
  });

  test("a quiet SSE response stays open and the next event arrives", async () => {
    expect(sseClient.closedAt).toBe(0);
    const upstreamSide = sse.conns[0]!;
    expect(upstreamSide.ended).toBe(false);
    upstreamSide.socket.write(chunk("data: second\n\n"));
    expect(await waitClient(sseClient, (c) => c.text.includes("data: second\n\n"), 5000)).toBe(true);
    expect(sseClient.closedAt).toBe(0);
  });

  test("an idle CONNECT tunnel stays open and still carries bytes", async () => {
    expect(tunnel.closedAt).toBe(0);
    tunnel.socket.write("after");
    expect(await waitClient(tunnel, (c) => c.text.endsWith("beforeafter"), 5000)).toBe(true);
  });
});
