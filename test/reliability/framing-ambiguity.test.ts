// Framing values two parsers could read differently, found by test/fuzz. Over a real socket the proxy
// must refuse them (400 for a request, 502 for a response) and forward nothing:
// - padding that JavaScript's trim() removes but HTTP does not (NBSP, 0xA0, legal obs-text): only SP
//   and HTAB are optional whitespace [RFC 9110 §5.6.3], so `Content-Length: \xa05` is not 5 to a
//   strict upstream;
// - an empty list member in Transfer-Encoding (`chunked,`): llhttp (Node) refuses it in a request and
//   reads a response carrying it to the close, so forwarding it would desynchronise the two sides;
// - whitespace after a chunk size with no extension after it (`5 \r\n`), outside the grammar
//   [RFC 9112 §7.1.1] and refused by llhttp, so a strict upstream or client would fail on it.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { okResponse, rawExchange, rawUpstream, startTestProxy, statuses, type TestProxy } from "../helpers/net";

let proxy: TestProxy;
beforeAll(() => {
  proxy = startTestProxy();
});
afterAll(() => proxy.stop());

// Stop waiting early only when the message got through (the failure); a refusal closes anyway.
const answered = (s: string) => statuses(s).includes(200);

test.each([
  ["Content-Length: NBSP 5", "Content-Length: \xa05\r\n", "hello"],
  ["Content-Length: 5 NBSP", "Content-Length: 5\xa0\r\n", "hello"],
  ["Transfer-Encoding: NBSP chunked", "Transfer-Encoding: \xa0chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"],
  ["Transfer-Encoding: chunked NBSP", "Transfer-Encoding: chunked\xa0\r\n", "5\r\nhello\r\n0\r\n\r\n"],
  ["Transfer-Encoding: chunked,", "Transfer-Encoding: chunked,\r\n", "5\r\nhello\r\n0\r\n\r\n"],
  ["Transfer-Encoding: , chunked", "Transfer-Encoding: , chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"],
  ["a chunk size followed by a space", "Transfer-Encoding: chunked\r\n", "5 \r\nhello\r\n0\r\n\r\n"],
  ["a last-chunk size followed by a tab", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\t\r\n\r\n"],
])("request %s is refused with 400 and nothing is forwarded", async (_name, framing, body) => {
  const up = rawUpstream((conn) => {
    if (conn.received.includes("\r\n\r\n")) conn.socket.write(okResponse("ok"));
  });
  try {
    const r = await rawExchange(proxy.port, [`POST / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n${framing}\r\n${body}`], { until: answered });
    expect(statuses(r.text)).toEqual([400]);
    expect(r.closed).toBe(true);
    expect(up.all()).not.toContain("hello");
  } finally {
    up.stop();
  }
});

test.each([
  ["Content-Length: NBSP 5", "HTTP/1.1 200 OK\r\nContent-Length: \xa05\r\n\r\nhello"],
  ["Content-Length: 5 NBSP", "HTTP/1.1 200 OK\r\nContent-Length: 5\xa0\r\n\r\nhello"],
  ["Transfer-Encoding: chunked,", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n5\r\nhello\r\n0\r\n\r\n"],
  ["a chunk size followed by a space", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"],
])("response %s is a 502, not relayed", async (_name, response) => {
  const up = rawUpstream((conn) => {
    if (conn.received.includes("\r\n\r\n")) conn.socket.write(Buffer.from(response, "latin1"));
  });
  try {
    const r = await rawExchange(proxy.port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`], { until: answered });
    expect(statuses(r.text)).toEqual([502]);
    expect(r.text).not.toContain("hello");
  } finally {
    up.stop();
  }
});
