// ClientConnection over fake sockets: the exchange life cycle (keep-alive, pipelining, early
// responses, retries, pool expiry), each deadline, backpressure both ways and half-close in
// tunnels, all driven through the socket events the connection receives and checked by the bytes
// and calls it makes.

import { describe, expect, test } from "bun:test";
import { FakeClient, get, LATE_S, ok, PORT, post, statuses, TEST_LIMITS } from "../helpers/fake-client";
import { POOL_IDLE_S, type FakeUpstream } from "../helpers/fake-upstream";

/** A client whose first request `head` has reached a freshly accepted upstream. */
async function connected(head: string, opts: ConstructorParameters<typeof FakeClient>[0] = {}, upstreamCapacity = Infinity) {
  const c = new FakeClient(opts);
  c.send(head);
  const up = await c.lastAttempt().accept(upstreamCapacity);
  return { c, up };
}

/** The request line of each head in what the upstream received. */
function requestLines(text: string): string[] {
  return text.split("\r\n\r\n").filter((h) => /^[A-Z]+ /.test(h)).map((h) => h.split("\r\n")[0]!);
}

/** A client with one finished exchange, whose upstream is back in the pool. */
async function keptAlive() {
  const { c, up } = await connected(get("/first"));
  up.send(ok("first"));
  c.read();
  up.read();
  expect(c.pool.released).toEqual([up.up]);
  return { c, up };
}

describe("exchanges", () => {
  test("keep-alive: a second request reuses the pooled upstream", async () => {
    const { c, up } = await connected(get("/a"));
    expect(requestLines(up.read())).toEqual(["GET /a HTTP/1.1"]);
    up.send(ok("one"));
    expect(c.read()).toEndWith("\r\n\r\none");
    expect(c.pool.released).toEqual([up.up]);
    expect(c.socket.closedBy()).toBeNull();

    c.send(get("/b"));
    expect(c.pool.attempts).toHaveLength(1);
    expect(requestLines(up.read())).toEqual(["GET /b HTTP/1.1"]);
    up.send(ok("two"));
    const second = c.read();
    expect(statuses(second)).toEqual([200]);
    expect(second).toEndWith("\r\n\r\ntwo");
    expect(c.socket.closedBy()).toBeNull();
    expect(up.socket.closedBy()).toBeNull();
  });

  test("a pooled upstream idle past its time is closed; the next request connects anew", async () => {
    const { c, up } = await keptAlive();
    c.pass(POOL_IDLE_S + LATE_S);
    expect(up.socket.closedBy()).toBe("end");
    c.send(get("/later"));
    expect(c.pool.attempts).toHaveLength(2);
    const fresh = await c.lastAttempt().accept();
    expect(requestLines(fresh.read())).toEqual(["GET /later HTTP/1.1"]);
    expect(up.read()).toBe("");
  });

  test("a pooled upstream taken again is not closed by the idle deadline it had in the pool", async () => {
    const { c, up } = await keptAlive();
    c.pass(POOL_IDLE_S - 1);
    c.send(get("/second"));
    expect(c.pool.attempts).toHaveLength(1);
    // Past the pool's deadline, well before the first-byte one (TEST_LIMITS.upstreamTimeout).
    c.pass(1 + LATE_S * 2);
    expect(up.socket.closedBy()).toBeNull();
    expect(requestLines(up.read())).toEqual(["GET /second HTTP/1.1"]);
    up.send(ok("two"));
    expect(c.read()).toEndWith("\r\n\r\ntwo");
    expect(c.socket.closedBy()).toBeNull();
  });

  test("pipelining: two requests in one read are forwarded one at a time and answered in order", async () => {
    const { c, up } = await connected(get("/a") + get("/b"));
    expect(requestLines(up.read())).toEqual(["GET /a HTTP/1.1"]);
    up.send(ok("one"));
    expect(requestLines(up.read())).toEqual(["GET /b HTTP/1.1"]);
    up.send(ok("two"));
    const text = c.read();
    expect(statuses(text)).toEqual([200, 200]);
    expect(text.indexOf("one")).toBeLessThan(text.indexOf("two"));
    expect(text).toEndWith("two");
    expect(c.pool.attempts).toHaveLength(1);
    expect(c.socket.closedBy()).toBeNull();
  });

  test("early response: answered before the body is complete, the client is closed and the upstream not reused", async () => {
    const { c, up } = await connected(post("/upload", 10) + "abc");
    expect(up.read()).toEndWith("\r\n\r\nabc");
    up.send("HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nnope");
    const text = c.read();
    expect(statuses(text)).toEqual([413]);
    expect(text).toContain("\r\nConnection: close\r\n");
    expect(text).toEndWith("\r\n\r\nnope");
    expect(c.socket.closedBy()).toBe("end");
    expect(up.socket.closedBy()).toBe("end");
    expect(c.pool.released).toEqual([]);
    // The rest of the body goes nowhere.
    c.send("defghij");
    expect(up.read()).toBe("");
  });

  test("a pooled upstream that closes before answering a body-less request: one new connect, the client gets the answer", async () => {
    const { c, up } = await keptAlive();
    c.send(get("/again"));
    expect(requestLines(up.read())).toEqual(["GET /again HTTP/1.1"]);
    up.end();
    up.close();
    expect(c.pool.attempts).toHaveLength(2);
    const fresh = await c.lastAttempt().accept();
    expect(requestLines(fresh.read())).toEqual(["GET /again HTTP/1.1"]);
    fresh.send(ok("again"));
    const text = c.read();
    expect(statuses(text)).toEqual([200]);
    expect(text).toEndWith("again");
    expect(c.socket.closedBy()).toBeNull();
  });

  test("a pooled upstream that closes before answering a request with a body: 502, no retry", async () => {
    const { c, up } = await keptAlive();
    c.send(post("/again", 5) + "hello");
    expect(up.read()).toEndWith("hello");
    up.end();
    up.close();
    expect(c.pool.attempts).toHaveLength(1);
    const text = c.read();
    expect(statuses(text)).toEqual([502]);
    expect(text).toContain(`upstream 127.0.0.1:${PORT} closed the connection before responding`);
    expect(c.socket.closedBy()).toBe("end");
  });

  test("the retry happens once: a fresh upstream that closes too is a 502", async () => {
    const { c, up } = await keptAlive();
    c.send(get("/again"));
    up.end();
    up.close();
    const fresh = await c.lastAttempt().accept();
    fresh.end();
    fresh.close();
    expect(c.pool.attempts).toHaveLength(2);
    expect(statuses(c.read())).toEqual([502]);
  });
});

describe("the proxy's own errors", () => {
  const unrouted = "GET / HTTP/1.1\r\nHost: app\r\n\r\n";
  const expected = "missing required header: X-Cmux-Port-Internal";

  test("400 for an unrouted first request", () => {
    const c = new FakeClient();
    c.send(unrouted);
    const text = c.read();
    expect(statuses(text)).toEqual([400]);
    expect(text).toEndWith(`\r\n\r\n${expected}\n`);
    expect(c.socket.closedBy()).toBe("end");
    expect(c.pool.attempts).toHaveLength(0);
  });

  test("400 for an unrouted second request on a kept-alive connection", async () => {
    const { c, up } = await keptAlive();
    c.send(unrouted);
    const text = c.read();
    expect(statuses(text)).toEqual([400]);
    expect(text).toEndWith(`\r\n\r\n${expected}\n`);
    expect(c.socket.closedBy()).toBe("end");
    expect(up.read()).toBe("");
  });

  test("502 when the connect is refused", async () => {
    const c = new FakeClient();
    c.send(get("/"));
    await c.lastAttempt().refuse("ECONNREFUSED");
    const text = c.read();
    expect(statuses(text)).toEqual([502]);
    expect(text).toContain(`upstream 127.0.0.1:${PORT} refused the connection`);
    expect(c.socket.closedBy()).toBe("end");
  });
});

/** How to bring a connection to the point where one deadline is armed, and what its expiry does. */
interface DeadlineCase {
  kind: string;
  /** Seconds from the end of `setup` until the deadline is due. */
  seconds: number;
  setup(c: FakeClient): Promise<FakeUpstream | null>;
  /** The proxy's answer, or null for a plain close. */
  status: 408 | 504 | null;
  reason: string;
}

const deadlineCases: DeadlineCase[] = [
  { kind: "idle: no bytes at all", seconds: TEST_LIMITS.idleTimeout, status: null, reason: "", setup: async () => null },
  {
    kind: "idle: after a finished exchange",
    seconds: TEST_LIMITS.idleTimeout,
    status: null,
    reason: "",
    async setup(c) {
      c.send(get("/"));
      const up = await c.lastAttempt().accept();
      up.send(ok("x"));
      c.read();
      return null;
    },
  },
  {
    kind: "head: part of a head",
    seconds: TEST_LIMITS.headTimeout,
    status: 408,
    reason: "request head not received in time",
    async setup(c) {
      c.send("GET / HTTP/1.1\r\nHo");
      return null;
    },
  },
  {
    kind: "connect",
    seconds: TEST_LIMITS.connectTimeout,
    status: 504,
    reason: `could not connect to upstream 127.0.0.1:${PORT} within ${TEST_LIMITS.connectTimeout}s`,
    async setup(c) {
      c.send(get("/"));
      return null;
    },
  },
  {
    kind: "connect (CONNECT tunnel)",
    seconds: TEST_LIMITS.connectTimeout,
    status: 504,
    reason: `could not connect to upstream 127.0.0.1:${PORT} within ${TEST_LIMITS.connectTimeout}s`,
    async setup(c) {
      c.send(`CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\nX-Cmux-Port-Internal: ${PORT}\r\n\r\n`);
      return null;
    },
  },
  {
    kind: "body: the request body stalls",
    seconds: TEST_LIMITS.idleTimeout,
    status: 408,
    reason: `request body stalled: nothing received for ${TEST_LIMITS.idleTimeout}s`,
    async setup(c) {
      c.send(post("/", 10) + "abc");
      return c.lastAttempt().accept();
    },
  },
  {
    kind: "first byte: the upstream does not answer",
    seconds: TEST_LIMITS.upstreamTimeout,
    status: 504,
    reason: `upstream 127.0.0.1:${PORT} did not answer within ${TEST_LIMITS.upstreamTimeout}s`,
    async setup(c) {
      c.send(get("/"));
      return c.lastAttempt().accept();
    },
  },
  {
    kind: "first byte: counted from the end of the request body",
    seconds: TEST_LIMITS.upstreamTimeout,
    status: 504,
    reason: `upstream 127.0.0.1:${PORT} did not answer within ${TEST_LIMITS.upstreamTimeout}s`,
    async setup(c) {
      c.send(post("/", 6) + "abc");
      const up = await c.lastAttempt().accept();
      c.pass(TEST_LIMITS.idleTimeout - 1);
      c.send("def");
      return up;
    },
  },
];

describe("deadlines", () => {
  test.each(deadlineCases)("$kind: nothing before it is due, then the answer and a close", async (d) => {
    const c = new FakeClient();
    const up = await d.setup(c);
    c.read();
    c.pass(d.seconds - 0.01);
    expect(c.read()).toBe("");
    expect(c.socket.closedBy()).toBeNull();
    c.pass(0.01 + LATE_S);
    const text = c.read();
    if (d.status === null) expect(text).toBe("");
    else {
      expect(statuses(text)).toEqual([d.status]);
      expect(text).toEndWith(`\r\n\r\n${d.reason}\n`);
    }
    expect(c.socket.closedBy()).toBe("end");
    if (up !== null) expect(up.socket.closedBy()).toBe("end");
  });

  test("head: later bytes of the same head do not extend its deadline", () => {
    const c = new FakeClient();
    c.send("GET / HTTP/1.1\r\n");
    for (let i = 0; i < TEST_LIMITS.headTimeout - 1; i++) {
      c.pass(1);
      c.send("X-A: b\r\n");
    }
    expect(c.read()).toBe("");
    c.pass(1 + LATE_S);
    expect(statuses(c.read())).toEqual([408]);
  });

  test("connect: an upstream that connects after the 504 is closed unused", async () => {
    const c = new FakeClient();
    c.send(get("/"));
    c.pass(TEST_LIMITS.connectTimeout + LATE_S);
    expect(statuses(c.read())).toEqual([504]);
    const late = await c.lastAttempt().accept();
    expect(late.read()).toBe("");
    expect(late.socket.closedBy()).toBe("end");
  });

  test("body: a body held back by a full upstream is not a stall", async () => {
    const { c, up } = await connected(post("/", 100) + "x".repeat(50), {}, 10);
    expect(c.socket.paused).toBe(true);
    c.pass(TEST_LIMITS.idleTimeout * 3);
    expect(c.read()).toBe("");
    expect(up.socket.closedBy()).toBeNull();
  });

  test("first byte: the clock starts once the whole request is out, not when its last byte is queued", async () => {
    // The whole body arrives, but the upstream takes only 10 bytes: the rest waits in our outbox.
    const { c, up } = await connected(post("/", 50) + "x".repeat(50), {}, 10);
    c.pass(TEST_LIMITS.upstreamTimeout * 2);
    expect(c.read()).toBe("");
    let got = "";
    for (let i = 0; i < 40 && !got.endsWith("x".repeat(50)); i++) {
      up.drain();
      got += up.read();
    }
    expect(got).toEndWith("x".repeat(50));
    c.pass(TEST_LIMITS.upstreamTimeout - 0.01);
    expect(c.read()).toBe("");
    c.pass(0.01 + LATE_S);
    expect(statuses(c.read())).toEqual([504]);
  });

  test("an early answer with request bytes still queued: they are delivered, the upstream is closed, never pooled", async () => {
    const { c, up } = await connected(post("/", 50) + "x".repeat(50), {}, 10);
    up.send(ok("early"));
    expect(c.read()).toEndWith("early");
    expect(c.pool.released).toEqual([]);
    for (let i = 0; i < 20 && up.socket.closedBy() === null; i++) up.drain();
    expect(up.read()).toEndWith("x".repeat(50));
    expect(up.socket.closedBy()).toBe("end");
  });

  test("no deadline once the response has started", async () => {
    const { c, up } = await connected(get("/"));
    up.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    c.pass(TEST_LIMITS.upstreamTimeout * 2);
    up.send("defghij");
    expect(c.read()).toEndWith("abcdefghij");
    expect(c.socket.closedBy()).toBeNull();
  });
});

describe("backpressure", () => {
  test("a client that reads slowly pauses the upstream; its drain resumes it", async () => {
    const { c, up } = await connected(get("/"), { capacity: 10 });
    const body = "b".repeat(100);
    up.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body.slice(0, 40));
    expect(up.socket.paused).toBe(true);
    // Bytes already read from the upstream wait in the outbox.
    up.send(body.slice(40, 70));
    c.drain();
    expect(up.socket.paused).toBe(true);
    c.socket.capacity = Infinity;
    c.drain();
    expect(up.socket.paused).toBe(false);
    up.send(body.slice(70));
    expect(c.read()).toEndWith("\r\n\r\n" + body);
    expect(c.pool.released).toEqual([up.up]);
  });

  test("an upstream that reads slowly pauses the client; its drain resumes it", async () => {
    const body = "0123456789".repeat(10);
    const { c, up } = await connected(post("/", 100) + body.slice(0, 50), {}, 10);
    expect(c.socket.paused).toBe(true);
    up.drain();
    expect(c.socket.paused).toBe(true);
    up.socket.capacity = Infinity;
    up.drain();
    expect(c.socket.paused).toBe(false);
    c.send(body.slice(50));
    expect(up.read()).toEndWith("\r\n\r\n" + body);
    up.send(ok("done"));
    expect(c.read()).toEndWith("done");
  });
});

describe("tunnels", () => {
  const connect = `CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\nX-Cmux-Port-Internal: ${PORT}\r\n\r\n`;

  test("CONNECT: the client's FIN reaches the upstream as a half-close while the upstream keeps sending", async () => {
    const { c, up } = await connected(connect + "early");
    expect(c.read()).toBe("HTTP/1.1 200 Connection Established\r\n\r\n");
    expect(up.read()).toBe("early");
    c.send("ping");
    expect(up.read()).toBe("ping");
    c.end();
    expect(up.socket.calls).toEqual(["shutdown"]);
    up.send("pong");
    expect(c.read()).toBe("pong");
    expect(c.socket.closedBy()).toBeNull();
    up.end();
    expect(c.socket.closedBy()).toBe("end");
  });

  test("upgrade: the upstream's FIN reaches the client as a half-close while the client keeps sending", async () => {
    const { c, up } = await connected(get("/ws", "Connection: Upgrade\r\nUpgrade: websocket\r\n"));
    const head = up.read();
    expect(head).toContain("\r\nUpgrade: websocket\r\n");
    up.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello");
    const text = c.read();
    expect(statuses(text)).toEqual([101]);
    expect(text).toEndWith("\r\n\r\nhello");
    up.end();
    expect(c.socket.calls).toEqual(["shutdown"]);
    c.send("more");
    expect(up.read()).toBe("more");
    c.end();
    expect(up.socket.closedBy()).toBe("end");
  });

  test("a close on one side closes the other", async () => {
    const { c, up } = await connected(connect);
    c.read();
    c.close();
    expect(up.socket.closedBy()).toBe("end");
  });
});
