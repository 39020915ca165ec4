// The connection reads every head through one HeadScan per direction for the whole process, valid
// only until the next head is scanned (src/proxy/connection.ts): the outbound head must be copied
// out of it before any other connection's head comes in. These tests interleave many clients'
// heads (split across reads, absolute form, credentials to strip, forwarded fields to rewrite) and
// upstream answers (a 103 and the final head split across writes), also behind an admin answer that
// waits for /proc, and check that every request reaches the upstream as exactly its own bytes and
// every client gets exactly its own answers.
// The expected bytes are what the string serializer this replaced wrote (test/oracle/string-head.ts).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { completeRequests, rawExchange, rawUpstream, writeAll } from "../helpers/net";
import { spawnProxy, type ProxyProcess } from "../helpers/proxy-process";
import { Wake, waitFor } from "../helpers/wait";

const TOKEN = "head-bytes-review-token-0123456789";
const CLIENTS = 12;
const ROUNDS = 6;

let up: ReturnType<typeof rawUpstream>;
let px: ProxyProcess;
/** Each request id's bytes as the upstream got them. */
const seen = new Map<string, string>();

function idOf(request: string): string {
  return /\r\nX-Id: ([^\r]*)\r\n/.exec(request)?.[1] ?? "?";
}

/** The final answer to request `id`, and the interim one before it. */
function answer(id: string): string {
  const body = `resp-${id}`;
  return (
    `HTTP/1.1 103 Early Hints\r\nLink: <${id}>\r\n\r\n` +
    `HTTP/1.1 200 OK\r\nX-Echo: ${id}\r\nConnection: X-Drop\r\nX-Drop: ${id}\r\nContent-Length: ${body.length}\r\n\r\n${body}`
  );
}

/** What the client must get for request `id`: the Connection list's field and the list itself gone. */
function relayed(id: string): string {
  const body = `resp-${id}`;
  return `HTTP/1.1 103 Early Hints\r\nLink: <${id}>\r\n\r\nHTTP/1.1 200 OK\r\nX-Echo: ${id}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

beforeAll(async () => {
  const answered = new WeakMap<object, number>();
  up = rawUpstream((conn) => {
    const reqs = completeRequests(conn.received);
    let n = answered.get(conn) ?? 0;
    for (; n < reqs.length; n++) {
      const id = idOf(reqs[n]!);
      seen.set(id, reqs[n]!);
      // Two writes, cut at a place that differs per request: the response head arrives in pieces.
      const text = answer(id);
      const cut = 20 + ((id.length * 37 + n * 11) % (text.length - 40));
      conn.socket.write(text.slice(0, cut));
      setTimeout(() => conn.socket.write(text.slice(cut)), 1);
    }
    answered.set(conn, n);
  });
  px = await spawnProxy(["--listen", "127.0.0.1:0", "--auth-token", TOKEN, "--auth-loopback", "--trusted-proxies", "127.0.0.0/8"]);
});

afterAll(async () => {
  await px.stop();
  up.stop();
});

/** Request `r` of client `c`, and the bytes the upstream must receive for it. */
function request(c: number, r: number, proxyPort: number): { text: string; expected: string } {
  const id = `c${c}r${r}`;
  const absolute = r % 3 === 0;
  const host = absolute ? `abs-${c}-${r}.example` : `h-${c}-${r}`;
  const credential = r % 2 === 0 ? `X-Cmux-Token: ${TOKEN}` : `Proxy-Authorization: Bearer ${TOKEN}`;
  const pad = "p".repeat((c * 7 + r * 5) % 90);
  const text =
    `GET ${absolute ? `http://${host}/p/${id}` : `/p/${id}`} HTTP/1.1\r\n` +
    (absolute ? "" : `Host: ${host}\r\n`) +
    `X-Cmux-Port-Internal: ${up.port}\r\n` +
    `X-Id: ${id}\r\n` +
    `cookie:  a=${c}; cmux_token=${TOKEN}; b=${r}  \r\n` +
    `X-Pad:${pad}\r\n` +
    `X-Forwarded-For: 10.${c}.${r}.1\r\n` +
    `X_Forwarded_Proto: spoofed\r\n` +
    `${credential}\r\n\r\n`;
  const expected =
    `GET /p/${id} HTTP/1.1\r\n` +
    (absolute ? "" : `Host: ${host}\r\n`) +
    `X-Id: ${id}\r\n` +
    `cookie: a=${c}; b=${r}\r\n` +
    `X-Pad: ${pad}\r\n` +
    (absolute ? `Host: ${host}\r\n` : "") +
    // A trusted peer's chain gets the peer appended; the Proto it did not send (the underscore
    // spelling goes with the real field) is this hop's.
    `X-Forwarded-For: 10.${c}.${r}.1, 127.0.0.1\r\n` +
    `X-Forwarded-Proto: http\r\n` +
    `X-Forwarded-Host: ${host}\r\n` +
    `X-Forwarded-Port: ${proxyPort}\r\n\r\n`;
  return { text, expected };
}

interface Client {
  socket: Awaited<ReturnType<typeof Bun.connect<null>>>;
  received: string;
  closed: boolean;
}

test("interleaved clients and split answers: every head goes out as its own bytes, both ways", async () => {
  const port = px.ports[0]!;
  const wake = new Wake();
  const clients: Client[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const client: Client = { socket: null!, received: "", closed: false };
    client.socket = await Bun.connect<null>({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, b) {
          client.received += Buffer.from(b).toString("latin1");
          wake.notify();
        },
        close() {
          client.closed = true;
          wake.notify();
        },
      },
    });
    clients.push(client);
  }
  const expected = new Map<string, string>();
  let closedEarly: boolean[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // Three pieces per head, written round-robin over the clients with a turn of the event loop
      // between: the proxy reads the clients' heads interleaved, many of them completing together.
      const pieces = clients.map((_, c) => {
        const { text, expected: e } = request(c, r, port);
        expected.set(`c${c}r${r}`, e);
        const a = 1 + ((c * 13 + r * 7) % (text.length - 2));
        const b = a + 1 + ((c * 5 + r) % (text.length - a - 1));
        return [text.slice(0, a), text.slice(a, b), text.slice(b)];
      });
      for (let k = 0; k < 3; k++) {
        for (let c = 0; c < CLIENTS; c++) await writeAll(clients[c]!.socket, Buffer.from(pieces[c]![k]!, "latin1"));
        await Bun.sleep(1);
      }
      const done = (c: Client) => c.closed || (c.received.match(/HTTP\/1\.1 200 /g) ?? []).length > r;
      expect(await waitFor(() => clients.every(done), 10_000, 20, wake)).toBe(true);
    }
    closedEarly = clients.map((c) => c.closed);
  } finally {
    for (const c of clients) c.socket.end();
  }
  for (const [id, e] of expected) expect(seen.get(id)).toBe(e);
  clients.forEach((client, c) => {
    expect(closedEarly[c]).toBe(false);
    expect(client.received).toBe(Array.from({ length: ROUNDS }, (_, r) => relayed(`c${c}r${r}`)).join(""));
  });
});

test("a request pipelined behind an admin answer that waits for /proc goes out as its own bytes", async () => {
  const port = px.ports[0]!;
  // The listing is read off the event loop; meanwhile other clients' heads are scanned.
  const admin = `GET /api/listeners HTTP/1.1\r\nHost: cmux.localhost\r\n\r\n`;
  const behind = request(90, 1, port);
  const others = Array.from({ length: 8 }, (_, k) => request(91 + k, 2, port));
  const [a, ...rest] = await Promise.all([
    rawExchange(port, [admin + behind.text], { until: (t) => t.endsWith(relayed("c90r1")), timeoutMs: 10_000 }),
    ...others.map((o, k) => rawExchange(port, [1, o.text], { until: (t) => t.endsWith(relayed(`c${91 + k}r2`)), timeoutMs: 10_000 })),
  ]);
  expect(a.text.startsWith("HTTP/1.1 200 ")).toBe(true);
  expect(a.text.endsWith(relayed("c90r1"))).toBe(true);
  expect(seen.get("c90r1")).toBe(behind.expected);
  rest.forEach((r, k) => {
    expect(r.text).toBe(relayed(`c${91 + k}r2`));
    expect(seen.get(`c${91 + k}r2`)).toBe(others[k]!.expected);
  });
});
