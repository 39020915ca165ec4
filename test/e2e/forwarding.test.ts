// Forwarding against real HTTP servers (Bun.serve) and real clients (fetch, curl): streaming bodies
// both ways, keep-alive across targets, upstream reuse and retry, the proxy's own error answers.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { answerEach, completeRequests, okResponse, rawExchange, rawUpstream, statuses, startTestProxy, type TestProxy } from "../helpers/net";

let proxy: TestProxy;
let app: ReturnType<typeof Bun.serve>;
let app2: ReturnType<typeof Bun.serve>;
const BIG = 16 << 20;

/** Deterministic bytes: block i is filled with (i & 255). */
function bigStream(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= total) return c.close();
      const n = Math.min(64 * 1024, total - sent);
      c.enqueue(new Uint8Array(n).fill((sent / 65536) & 255));
      sent += n;
    },
  });
}
function bigHash(total: number): string {
  const h = createHash("sha256");
  for (let sent = 0; sent < total; sent += 65536) h.update(new Uint8Array(Math.min(65536, total - sent)).fill((sent / 65536) & 255));
  return h.digest("hex");
}

beforeAll(() => {
  proxy = startTestProxy();
  app = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/big") return new Response(bigStream(BIG));
      if (url.pathname === "/upload") {
        const body = new Uint8Array(await req.arrayBuffer());
        const te = req.headers.get("transfer-encoding") ?? "none";
        return Response.json({ len: body.length, sha: createHash("sha256").update(body).digest("hex"), te });
      }
      if (url.pathname === "/cookies") {
        const h = new Headers();
        h.append("Set-Cookie", "a=1");
        h.append("Set-Cookie", "b=2");
        return new Response("cookies", { headers: h });
      }
      return new Response(`app1 ${req.method} ${url.pathname}${url.search}`);
    },
  });
  app2 = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`app2 ${new URL(req.url).pathname}`) });
});
afterAll(async () => {
  app.stop(true);
  app2.stop(true);
  await proxy.stop();
});

const via = (port: number | undefined, extra: Record<string, string> = {}) => ({ headers: { "X-Cmux-Port-Internal": String(port), ...extra } });
const url = (path: string) => `http://127.0.0.1:${proxy.port}${path}`;

describe("forwarding", () => {
  test("fetch through the proxy reaches the app with method, path and query", async () => {
    const r = await fetch(url("/hello?x=1"), via(app.port));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("app1 GET /hello?x=1");
  });

  test("curl through the proxy (the README's command)", async () => {
    const p = Bun.spawn(["curl", "-sS", "--max-time", "5", "-H", `X-Cmux-Port-Internal: ${app.port}`, url("/api")], { stdout: "pipe", stderr: "pipe" });
    expect(await new Response(p.stdout).text()).toBe("app1 GET /api");
    expect(await p.exited).toBe(0);
  });

  test("curl -p -x tunnels through CONNECT with --proxy-header", async () => {
    const p = Bun.spawn(
      ["curl", "-sS", "--max-time", "5", "-p", "-x", `http://127.0.0.1:${proxy.port}`, "--proxy-header", `X-Cmux-Port-Internal: ${app.port}`, "http://tunnelled.example/via-tunnel"],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await new Response(p.stdout).text()).toBe("app1 GET /via-tunnel");
    expect(await p.exited).toBe(0);
  });

  test("a 16 MiB streamed response arrives intact when read slowly", async () => {
    const r = await fetch(url("/big"), via(app.port));
    const reader = r.body!.getReader();
    const h = createHash("sha256");
    let len = 0;
    for (let reads = 0; reads < 100_000; reads++) {
      const { done, value } = await reader.read();
      if (done) break;
      h.update(value);
      len += value.length;
      // Read slowly for the first part so the proxy has to hold the upstream back.
      if (len < 2 << 20) await Bun.sleep(2);
    }
    expect(len).toBe(BIG);
    expect(h.digest("hex")).toBe(bigHash(BIG));
  });

  test("a chunked upload streams through and arrives intact, still chunked", async () => {
    const total = 3 << 20;
    const r = await fetch(url("/upload"), { method: "POST", body: bigStream(total), ...via(app.port) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ len: total, sha: bigHash(total), te: "chunked" });
  });

  test("a Content-Length upload arrives intact", async () => {
    const body = new Uint8Array(5 << 20).map((_, i) => i % 251);
    const r = await fetch(url("/upload"), { method: "POST", body, ...via(app.port) });
    expect(await r.json()).toEqual({ len: body.length, sha: createHash("sha256").update(body).digest("hex"), te: "none" });
  });

  test("multiple Set-Cookie headers survive", async () => {
    const r = await fetch(url("/cookies"), via(app.port));
    expect(r.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  test("one keep-alive client connection serves many requests to different targets, in order", async () => {
    const reqs = Array.from({ length: 10 }, (_, i) => `GET /r${i} HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${i % 2 ? app2.port : app.port}\r\n\r\n`);
    const chunks: (string | number)[] = reqs.flatMap((r) => [r, 5]);
    const r = await rawExchange(proxy.port, chunks, { until: (s) => s.includes("app2 /r9") });
    const bodies = [...r.text.matchAll(/(app[12] (?:GET )?\/r\d)/g)].map((m) => m[1]);
    expect(bodies).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? `app2 /r${i}` : `app1 GET /r${i}`)));
    expect(r.closed).toBe(false);
  });

  test("pipelined requests in one packet are answered in order", async () => {
    const two = `GET /p1 HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${app.port}\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${app2.port}\r\n\r\n`;
    const r = await rawExchange(proxy.port, [two], { until: (s) => s.includes("app2 /p2") });
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(r.text.indexOf("app1 GET /p1")).toBeLessThan(r.text.indexOf("app2 /p2"));
  });
});

describe("upstream connections", () => {
  test("consecutive requests reuse one upstream connection", async () => {
    const up = rawUpstream(answerEach());
    try {
      for (let i = 1; i <= 5; i++) {
        const r = await fetch(url("/"), via(up.port));
        expect(await r.text()).toBe(`ok ${i}`);
      }
      expect(up.conns.length).toBe(1);
    } finally {
      up.stop();
    }
  });

  test("an idle upstream connection the server dropped is retried once for a bodyless request", async () => {
    // Answers the first request, then closes without answering the second: the race a pooled
    // keep-alive connection can always lose.
    const up = rawUpstream((conn) => {
      const n = completeRequests(conn.received).length;
      if (n === 1 && !(conn as any).answered) {
        (conn as any).answered = true;
        conn.socket.write(okResponse(`conn ${up.conns.length}`));
      } else if (n === 2) {
        conn.socket.end();
      }
    });
    try {
      expect(await (await fetch(url("/"), via(up.port))).text()).toBe("conn 1");
      expect(await (await fetch(url("/"), via(up.port))).text()).toBe("conn 2");
    } finally {
      up.stop();
    }
  });
});

describe("errors the proxy answers itself", () => {
  test.each([
    ["no routing header", {}, 400, "missing required header: X-Cmux-Port-Internal"],
    ["non-numeric port", { "X-Cmux-Port-Internal": "abc" }, 400, 'invalid port in X-Cmux-Port-Internal: "abc" (expected 1-65535)'],
    ["port 0", { "X-Cmux-Port-Internal": "0" }, 400, "invalid port"],
    ["port 65536", { "X-Cmux-Port-Internal": "65536" }, 400, "invalid port"],
    ["workspace-0", { "X-Cmux-Port-Internal": "80", "X-Cmux-Workspace-Internal": "workspace-0" }, 400, "out of range"],
    ["workspace-65536", { "X-Cmux-Port-Internal": "80", "X-Cmux-Workspace-Internal": "workspace-65536" }, 400, "out of range"],
  ])("%s -> %d", async (_name, headers, status, reason) => {
    const r = await fetch(url("/"), { headers });
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toStartWith("text/plain");
    const text = await r.text();
    expect(text).toContain(reason);
    expect(text.trimEnd().split("\n").length).toBe(1);
  });

  test("502 for a closed port, naming the target and both loopback addresses tried", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = l.port;
    l.stop(true);
    const r = await fetch(url("/"), via(port));
    expect(r.status).toBe(502);
    expect(await r.text()).toBe(`upstream 127.0.0.1:${port} refused the connection (tried 127.0.0.1:${port} and [::1]:${port})\n`);
  });

  test("502 when the upstream resets before a response head", async () => {
    const up = rawUpstream((conn) => conn.socket.terminate());
    try {
      const r = await fetch(url("/"), via(up.port));
      expect(r.status).toBe(502);
    } finally {
      up.stop();
    }
  });

  test("33: a request routed to the proxy's own address and port is 508, not forwarded", async () => {
    const r = await fetch(url("/"), via(proxy.port));
    expect(r.status).toBe(508);
    expect(await r.text()).toBe(`request routed to the proxy itself (127.0.0.1:${proxy.port})\n`);
  });

  test("504 when the upstream accepts but never answers", async () => {
    const slow = startTestProxy({ upstreamTimeout: 1 });
    const up = rawUpstream(() => {});
    try {
      const t0 = Date.now();
      const r = await fetch(`http://127.0.0.1:${slow.port}/`, via(up.port));
      expect(r.status).toBe(504);
      expect(await r.text()).toContain("did not answer within 1s");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      up.stop();
      await slow.stop();
    }
  });
});
