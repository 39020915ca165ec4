// Abuse: response heads over the size and field-count limits, a head that never ends, a flood of
// interim responses from the upstream; a burst of pipelined requests from the client. The client gets
// a 502 (or everything relayed in order), a bad upstream connection is dropped, and the proxy keeps
// serving. (A request routed back to the proxy itself, row 33, is answered 508 in
// test/e2e/forwarding.test.ts; request head limits, row 9, in test/e2e/checklist.test.ts.)

import { afterAll, beforeAll, expect, test } from "bun:test";
import { okResponse, rawExchange, rawUpstream, startTestProxy, statuses, type TestProxy } from "../helpers/net";
import { trackedUpstream, type TrackedUpstream } from "../helpers/tracked-upstream";

let proxy: TestProxy;
let healthy: ReturnType<typeof rawUpstream>;
beforeAll(() => {
  proxy = startTestProxy();
  healthy = rawUpstream((conn) => {
    if (conn.received.endsWith("\r\n\r\n")) conn.socket.write(okResponse("still here"));
  });
});
afterAll(async () => {
  healthy.stop();
  await proxy.stop();
});

const get = (port: number) => `GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${port}\r\n\r\n`;

/** The proxy still answers a normal request on a fresh connection. */
async function expectStillServing(): Promise<void> {
  const r = await rawExchange(proxy.port, [get(healthy.port)], { until: (s) => s.endsWith("still here") });
  expect(statuses(r.text)).toEqual([200]);
}

/** Every connection the upstream saw has been dropped by the proxy. */
async function expectUpstreamDropped(up: TrackedUpstream): Promise<void> {
  expect(up.conns.length).toBeGreaterThan(0);
  expect(await up.allClosed()).toBe(true);
}

const bigField = (n: number) => `X-Big: ${"b".repeat(n)}\r\n`;
const manyFields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: ${i}\r\n`).join("");

test.each([
  ["a response head over 64 KiB in one write", [`HTTP/1.1 200 OK\r\n${bigField(70 * 1024)}Content-Length: 2\r\n\r\nok`]],
  ["a response head over 64 KiB in 1 KiB writes", Array.from({ length: 70 }, (_, i) => (i === 0 ? "HTTP/1.1 200 OK\r\nX-Big: " : "") + "b".repeat(1024)).concat(["\r\nContent-Length: 2\r\n\r\nok"])],
  ["a response head that never ends", [`HTTP/1.1 200 OK\r\n${bigField(80 * 1024)}`]],
  ["257 response header fields", [`HTTP/1.1 200 OK\r\n${manyFields(257)}Content-Length: 2\r\n\r\nok`]],
  ["10,000 response header fields", [`HTTP/1.1 200 OK\r\n${manyFields(10_000)}Content-Length: 2\r\n\r\nok`]],
])("%s: the client gets 502, the upstream is dropped, the proxy keeps serving", async (_name, parts) => {
  const up = trackedUpstream((conn) => {
    if (!conn.received.endsWith("\r\n\r\n")) return;
    void (async () => {
      for (const p of parts) {
        if (conn.socket.write(p) < 0) return;
        await Bun.sleep(1);
      }
    })();
  });
  try {
    const r = await rawExchange(proxy.port, [get(up.port)]);
    expect(statuses(r.text)).toEqual([502]);
    expect(r.text).toContain("upstream sent an invalid response head");
    expect(r.closed).toBe(true);
    await expectUpstreamDropped(up);
    await expectStillServing();
  } finally {
    up.stop();
  }
});

test("256 response fields are still fine", async () => {
  const up = rawUpstream((conn) => {
    if (conn.received.endsWith("\r\n\r\n")) conn.socket.write(`HTTP/1.1 200 OK\r\n${manyFields(255)}Content-Length: 2\r\n\r\nok`);
  });
  try {
    const r = await rawExchange(proxy.port, [get(up.port)], { until: (s) => s.endsWith("\r\n\r\nok") });
    expect(statuses(r.text)).toEqual([200]);
    expect(r.text).toContain("X-F254: 254\r\n");
  } finally {
    up.stop();
  }
});

test("a flood of 100,000 interim responses in one burst is relayed in order, then the final response", async () => {
  const FLOOD = 100_000;
  const up = rawUpstream((conn) => {
    if (conn.received.endsWith("\r\n\r\n")) conn.socket.write("HTTP/1.1 100 Continue\r\n\r\n".repeat(FLOOD) + okResponse("final"));
  });
  try {
    const r = await rawExchange(proxy.port, [get(up.port)], { until: (s) => s.endsWith("\r\n\r\nfinal"), timeoutMs: 15_000 });
    const codes = statuses(r.text);
    expect(codes.length).toBe(FLOOD + 1);
    expect(codes.slice(0, FLOOD).every((c) => c === 100)).toBe(true);
    expect(codes.at(-1)).toBe(200);
    expect(r.text).toEndWith("\r\n\r\nfinal");
    await expectStillServing();
  } finally {
    up.stop();
  }
}, 20_000);

test("5,000 pipelined requests in one write are all answered, in order", async () => {
  const N = 5000;
  const parsed = new Map<unknown, number>();
  const up = trackedUpstream((conn) => {
    let at = parsed.get(conn) ?? 0;
    for (let end = conn.received.indexOf("\r\n\r\n", at); end !== -1; end = conn.received.indexOf("\r\n\r\n", at)) {
      conn.socket.write(okResponse(`#${/^GET \/(\d+) /.exec(conn.received.slice(at, end))![1]}`));
      at = end + 4;
    }
    parsed.set(conn, at);
  });
  try {
    const burst = Array.from({ length: N }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`).join("");
    const r = await rawExchange(proxy.port, [burst], { until: (s) => s.endsWith(`#${N - 1}`), timeoutMs: 20_000 });
    const order = [...r.text.matchAll(/\r\n\r\n#(\d+)/g)].map((m) => Number(m[1]));
    expect(order.length).toBe(N);
    expect(order.every((v, i) => v === i)).toBe(true);
  } finally {
    up.stop();
  }
}, 30_000);
