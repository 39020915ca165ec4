// The proxy's own errors as the second request of a kept-alive connection, pipelined behind a good
// request and sent after its response, as well as alone: the error must never be lost to an earlier
// exchange's state (curl --next hides a bare close by retrying on a new connection).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { answerEach, freePort, rawExchange, rawUpstream, startTestProxy, type TestProxy } from "../helpers/net";
import { connectClient, waitClient } from "../helpers/raw-client";

let proxy: TestProxy;
let up: ReturnType<typeof rawUpstream>;
let closedPort: number;

beforeAll(() => {
  proxy = startTestProxy({ maxHeadBytes: 4096 });
  up = rawUpstream(answerEach());
  closedPort = freePort();
});
afterAll(async () => {
  up.stop();
  await proxy.stop();
});

const good = () => `GET /a HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`;

// [name, request, status, a part of the reason line]
const BAD: [string, () => string, number, string][] = [
  ["no target", () => "GET /b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "missing required header: X-Cmux-Port-Internal"],
  ["port out of range", () => "GET /b HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: 99999\r\n\r\n", 400, "invalid port in X-Cmux-Port-Internal"],
  ["HTTP/2.0", () => `GET /b HTTP/2.0\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`, 505, "unsupported HTTP version HTTP/2.0"],
  ["malformed request line", () => "GET /b\r\nHost: x\r\n\r\n", 400, "malformed request line"],
  ["bare LF", () => "GET /b HTTP/1.1\nHost: x\n\n", 400, "bare LF"],
  ["head too large", () => `GET /b HTTP/1.1\r\nX-Big: ${"a".repeat(5000)}\r\n\r\n`, 431, "message head larger than 4096 bytes"],
  ["conflicting port headers", () => "GET /b HTTP/1.1\r\nX-Cmux-Port-Internal: 1\r\nX-Cmux-Port-Internal: 2\r\n\r\n", 400, "conflicting X-Cmux-Port-Internal"],
  ["bad workspace", () => `GET /b HTTP/1.1\r\nX-Cmux-Workspace-Internal: workspace-0\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`, 400, "invalid workspace"],
  ["CL and TE", () => `POST /b HTTP/1.1\r\nX-Cmux-Port-Internal: ${up.port}\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`, 400, "both Content-Length and Transfer-Encoding"],
  ["unsupported coding", () => `POST /b HTTP/1.1\r\nX-Cmux-Port-Internal: ${up.port}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n`, 501, "unsupported Transfer-Encoding"],
  ["loop into the proxy", () => `GET /b HTTP/1.1\r\nX-Cmux-Port-Internal: ${proxy.port}\r\n\r\n`, 508, "routed to the proxy itself"],
  ["upstream refused", () => `GET /b HTTP/1.1\r\nX-Cmux-Port-Internal: ${closedPort}\r\n\r\n`, 502, "refused the connection"],
];

function lastResponse(text: string): { status: number; body: string } {
  const at = text.lastIndexOf("HTTP/1.1 ");
  const m = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text.slice(at));
  return m === null ? { status: 0, body: "" } : { status: Number(m[1]), body: m[3]! };
}

describe.each(BAD)("%s", (_name, bad, status, reason) => {
  test("alone", async () => {
    const r = await rawExchange(proxy.port, [bad()], { timeoutMs: 5000 });
    expect(lastResponse(r.text)).toEqual({ status, body: expect.stringContaining(reason) });
    expect(r.closed).toBe(true);
  });

  test("pipelined behind a good request", async () => {
    const r = await rawExchange(proxy.port, [good() + bad()], { timeoutMs: 5000 });
    expect(r.text.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(r.text).toMatch(/\r\n\r\nok \d+HTTP\/1\.1 /);
    expect(lastResponse(r.text)).toEqual({ status, body: expect.stringContaining(reason) });
    expect(r.closed).toBe(true);
  });

  test("sent after the first response on the same connection", async () => {
    const c = await connectClient(proxy.port);
    try {
      c.socket.write(good());
      expect(await waitClient(c, (x) => /ok \d+/.test(x.text), 5000)).toBe(true);
      c.socket.write(bad());
      expect(await waitClient(c, (x) => x.closedAt !== 0, 5000)).toBe(true);
      expect(lastResponse(c.text)).toEqual({ status, body: expect.stringContaining(reason) });
    } finally {
      c.socket.end();
    }
  });
});
