// CONNECT tunnels (checklist rows 30-32) against a raw Bun.listen TCP echo.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { rawExchange, rawUpstream, statuses, startTestProxy, writeAll, type TestProxy } from "../helpers/net";
import { connectClient, waitClient } from "../helpers/raw-client";
import { waitFor } from "../helpers/wait";

let proxy: TestProxy;
let echo: TCPSocketListener<{ pending: Uint8Array[] }>;

beforeAll(() => {
  proxy = startTestProxy();
  // An echo that honours its own short writes: what the kernel does not take now is written on
  // `drain`, and reading pauses meanwhile (a bare s.write(b) would drop bytes whenever the proxy's
  // side of the socket is full, which the buffer sizes and the machine's load decide).
  echo = Bun.listen<{ pending: Uint8Array[] }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { pending: [] };
      },
      data(s, b) {
        if (s.data.pending.length > 0) {
          s.data.pending.push(Buffer.from(b));
          return;
        }
        const n = s.write(b);
        if (n < b.length) {
          s.data.pending.push(Buffer.from(b.subarray(Math.max(n, 0))));
          s.pause();
        }
      },
      drain(s) {
        const q = s.data.pending;
        while (q.length > 0) {
          const head = q[0]!;
          const n = s.write(head);
          if (n < head.length) {
            q[0] = head.subarray(Math.max(n, 0));
            return;
          }
          q.shift();
        }
        s.resume();
      },
    },
  });
});
afterAll(async () => {
  echo.stop(true);
  await proxy.stop();
});

const established = "HTTP/1.1 200 Connection Established\r\n\r\n";

test("tunnel bytes flow both ways after 200 Connection Established", async () => {
  const r = await rawExchange(proxy.port, [`CONNECT ignored.example:443 HTTP/1.1\r\nHost: ignored.example:443\r\nX-Cmux-Port-Internal: ${echo.port}\r\n\r\n`, 100, "ping-1", 50, "ping-2"], {
    until: (s) => s.endsWith("ping-2"),
  });
  expect(r.text).toBe(`${established}ping-1ping-2`);
});

test("30: CONNECT to a closed port is a 502 and nothing is tunnelled", async () => {
  const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = closed.port;
  closed.stop(true);
  const r = await rawExchange(proxy.port, [`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${port}\r\n\r\nhello`]);
  expect(statuses(r.text)).toEqual([502]);
  expect(r.text).toContain("refused");
  expect(r.closed).toBe(true);
});

test("31: bytes in the same packet as the CONNECT head reach upstream once, in order", async () => {
  const up = rawUpstream(() => {});
  try {
    const early = "EARLY-BYTES\x00\x01\x02";
    const r = await rawExchange(proxy.port, [`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n${early}`, 100, "LATER"], {
      until: (s) => s.startsWith(established),
      timeoutMs: 2000,
    });
    expect(r.text).toBe(established);
    await waitFor(() => up.all() === early + "LATER", 2000, 10);
    expect(up.all()).toBe(early + "LATER");
  } finally {
    up.stop();
  }
});

test("32: the client half-closes: upstream sees EOF and its reply still reaches the client", async () => {
  // The upstream answers only after the client's EOF, like `wc` over a socket.
  const up = rawUpstream(
    () => {},
    (conn) => {
      conn.socket.write(`got ${conn.received.length} bytes then EOF`);
      conn.socket.end();
    },
  );
  try {
    const r = await rawExchange(proxy.port, [`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`, 100, "0123456789"], { shutdown: true });
    expect(r.text).toBe(`${established}got 10 bytes then EOF`);
    expect(r.closed).toBe(true);
  } finally {
    up.stop();
  }
});

test("the upstream half-closes: the client still sends and upstream receives", async () => {
  const up = rawUpstream((conn) => {
    if (conn.received === "first") {
      conn.socket.write("bye");
      conn.socket.shutdown();
    }
  });
  const client = await connectClient(proxy.port);
  try {
    client.socket.write(`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`);
    expect(await waitClient(client, (c) => c.text === established, 3000)).toBe(true);
    // "second" only after "bye" is back: the two sent a fixed time apart can reach the upstream as one
    // read on a busy machine, and then it never half-closes.
    client.socket.write("first");
    expect(await waitClient(client, (c) => c.text.endsWith("bye"), 3000)).toBe(true);
    client.socket.write("second");
    expect(client.text).toBe(`${established}bye`);
    await waitFor(() => up.all() === "firstsecond", 2000, 10);
    expect(up.all()).toBe("firstsecond");
  } finally {
    client.socket.end();
    up.stop();
  }
});

test("a 4 MiB push through a tunnel arrives intact (backpressure both ways)", async () => {
  const size = 4 << 20;
  const data = new Uint8Array(size).map((_, i) => (i * 7) & 255);
  let got = 0;
  let mismatch = -1;
  let head = "";
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));
  const sock: Socket<undefined> = await Bun.connect({
    hostname: "127.0.0.1",
    port: proxy.port,
    socket: {
      data(_s, b) {
        let bytes: Uint8Array = b;
        if (head.length < established.length) {
          const need = established.length - head.length;
          head += Buffer.from(b.subarray(0, need)).toString("latin1");
          bytes = b.subarray(need);
        }
        for (let i = 0; i < bytes.length && mismatch === -1; i++) if (bytes[i] !== data[got + i]) mismatch = got + i;
        got += bytes.length;
        if (got >= size) resolveDone();
      },
    },
  });
  try {
    sock.write(`CONNECT x:1 HTTP/1.1\r\nX-Cmux-Port-Internal: ${echo.port}\r\n\r\n`);
    await writeAll(sock, data);
    await Promise.race([done, Bun.sleep(15_000)]);
    expect(head).toBe(established);
    expect(got).toBe(size);
    expect(mismatch).toBe(-1);
  } finally {
    sock.end();
  }
});
