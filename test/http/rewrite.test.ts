// Outbound head tables [RFC 9110 §7.6.1, RFC 9112 §3.2.2; docs/http-behaviour.md rows 11, 24-28]:
// the exact bytes written upstream and back to the client, by the scanner and the outbound head
// writer from the bytes a peer would send (test/helpers/scanned-head.ts).

import { describe, expect, test } from "bun:test";
import { fieldTokens, type RequestHead, type ResponseHead } from "../../src/http/head-parser";
import { absoluteFormHost, originForm } from "../../src/http/target-form";
import { fields } from "../helpers/fields";
import { serializeRequestHead, serializeResponseHead } from "../helpers/scanned-head";

function request(target: string, minor: 0 | 1, pairs: [string, string][], method = "GET"): RequestHead {
  return { method, target, minor, ...fields(pairs) };
}

function response(status: number, reason: string, pairs: [string, string][], minor: 0 | 1 = 1): ResponseHead {
  return { status, reason, minor, ...fields(pairs) };
}

describe("serializeRequestHead", () => {
  test.each([
    [
      "plain request passes byte for byte (row 1)",
      request("/a?b=c", 1, [["Host", "x"], ["Accept", "*/*"]]),
      false,
      "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
    ],
    [
      "name case kept, repeated fields kept in order (row 2)",
      request("/", 1, [["host", "x"], ["ACCEPT", "a"], ["X-y", "1"], ["accept", "b"]]),
      false,
      "GET / HTTP/1.1\r\nhost: x\r\nACCEPT: a\r\nX-y: 1\r\naccept: b\r\n\r\n",
    ],
    [
      "Connection and the names it lists are dropped (row 24)",
      request("/", 1, [["Host", "x"], ["Connection", "close, X-Foo"], ["X-Foo", "1"], ["Other", "2"]]),
      false,
      "GET / HTTP/1.1\r\nHost: x\r\nOther: 2\r\n\r\n",
    ],
    [
      "Connection options in any case, spacing and number of lines",
      request("/", 1, [
        ["Connection", " , X-FOO ,keep-alive"],
        ["x-foo", "1"],
        ["connection", "X-Bar"],
        ["X-BAR", "2"],
        ["Keep-Alive", "timeout=5"],
        ["Host", "x"],
      ]),
      false,
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    [
      "Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade dropped on a plain request (row 25)",
      request("/", 1, [
        ["Host", "x"],
        ["Keep-Alive", "timeout=5"],
        ["proxy-connection", "keep-alive"],
        ["TE", "trailers"],
        ["Trailer", "Expires"],
        ["Upgrade", "websocket"],
        ["Accept", "*/*"],
      ]),
      false,
      "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
    ],
    [
      "internal routing headers dropped in every case spelling (row 26)",
      request("/", 1, [
        ["X-Cmux-Port-Internal", "3000"],
        ["Host", "x"],
        ["x-cmux-workspace-internal", "workspace-1"],
        ["X-CMUX-PORT-INTERNAL", "3000"],
        ["X-Cmux-Future-Thing-Internal", "y"],
        ["X-Cmux-Token", "the proxy's token never goes upstream"],
        ["x-cmux-TOKEN", "t"],
        ["X-Cmux-Port", "kept: not an internal header"],
      ]),
      false,
      "GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port: kept: not an internal header\r\n\r\n",
    ],
    [
      "absolute-form becomes origin-form, Host unchanged (row 11)",
      request("http://example.test:8080/y?z=1", 1, [["Host", "other.test"]]),
      false,
      "GET /y?z=1 HTTP/1.1\r\nHost: other.test\r\n\r\n",
    ],
    [
      "framing headers are kept (bodies are forwarded verbatim)",
      request("/up", 1, [["Host", "x"], ["Transfer-Encoding", "chunked"], ["Expect", "100-continue"]], "POST"),
      false,
      "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    ],
    [
      "WebSocket handshake keeps Upgrade and Sec-WebSocket-*, Connection: Upgrade added (row 28)",
      request("/ws", 1, [
        ["Host", "x"],
        ["Connection", "keep-alive, Upgrade"],
        ["Upgrade", "websocket"],
        ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
        ["Sec-WebSocket-Version", "13"],
        ["Sec-WebSocket-Protocol", "chat"],
        ["Keep-Alive", "timeout=5"],
        ["X-Cmux-Port-Internal", "3000"],
      ]),
      true,
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\nConnection: Upgrade\r\n\r\n",
    ],
    // Connection may name any field, but a field that frames the body or names the target cannot be
    // removed while the body is forwarded verbatim: that would let the upstream read the body as the
    // next request (smuggling). DESIGN: Host passes unchanged; framing stays true.
    [
      "Connection naming Content-Length does not strip the framing",
      request("/", 1, [["Host", "x"], ["Connection", "Content-Length"], ["Content-Length", "5"]], "POST"),
      false,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
    ],
    [
      "repeated equal Content-Length lines go on as one",
      request("/", 1, [["Host", "x"], ["Content-Length", "5"], ["X-A", "1"], ["content-length", "5"]], "POST"),
      false,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n",
    ],
    [
      "a Content-Length list of equal members goes on as one number",
      request("/", 1, [["Host", "x"], ["Content-Length", "5 , 5,5"]], "POST"),
      false,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
    ],
    [
      "Connection naming Transfer-Encoding does not strip the framing",
      request("/", 1, [["Host", "x"], ["Connection", "transfer-encoding"], ["Transfer-Encoding", "chunked"]], "POST"),
      false,
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
    [
      "Connection naming Host does not strip Host",
      request("/", 1, [["Host", "x"], ["Connection", "host"]]),
      false,
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
  ] as [string, RequestHead, boolean, string][])("%s", (_name, head, upgrade, expected) => {
    expect(serializeRequestHead(head, { upgrade, connection: fieldTokens(head, "connection") })).toBe(expected);
  });

  test.each([
    ["no Connection header", [["Host", "x"]], ["Host: x", "Connection: close", "", ""]],
    ["client's keep-alive is not passed on", [["Host", "x"], ["Connection", "keep-alive"]], ["Host: x", "Connection: close", "", ""]],
  ] as [string, [string, string][], string[]][])(
    "HTTP/1.0 request, %s: the upstream exchange is closed after one response",
    (_name, pairs, expectedLines) => {
      const head = request("/", 0, pairs);
      const out = serializeRequestHead(head, { upgrade: false, connection: fieldTokens(head, "connection") });
      expect(out.split("\r\n").slice(1)).toEqual(expectedLines);
    },
  );
});

describe("serializeResponseHead", () => {
  test.each([
    [
      "two Set-Cookie and every Vary, in order, with their case (row 27)",
      response(200, "OK", [["Set-Cookie", "a=1"], ["Vary", "Accept"], ["set-cookie", "b=2"], ["VARY", "Origin"], ["Content-Length", "0"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nVary: Accept\r\nset-cookie: b=2\r\nVARY: Origin\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "keep-alive to an HTTP/1.1 client: nothing added, upstream's hop-by-hop dropped",
      response(200, "OK", [["Connection", "keep-alive, X-Hop"], ["Keep-Alive", "timeout=5"], ["X-Hop", "1"], ["Content-Length", "2"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
    ],
    [
      "closing the client: Connection: close",
      response(200, "OK", [["Content-Type", "text/plain"]]),
      { keepAlive: false, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
    ],
    [
      "upstream's Connection: close replaced by the proxy's own decision",
      response(200, "OK", [["Connection", "close"], ["Content-Length", "0"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "keep-alive to an HTTP/1.0 client: Connection: keep-alive (row 4)",
      response(200, "OK", [["Content-Length", "0"]]),
      { keepAlive: true, clientMinor: 0 },
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
    ],
    [
      "closing an HTTP/1.0 client: Connection: close",
      response(200, "OK", [["Content-Length", "0"]]),
      { keepAlive: false, clientMinor: 0 },
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ],
    [
      "the proxy sends its own HTTP version [9110 §2.5]",
      response(200, "OK", [["Content-Length", "0"]], 0),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "101 keeps Upgrade, Connection: Upgrade (row 28)",
      response(101, "Switching Protocols", [
        ["Upgrade", "websocket"],
        ["Connection", "Upgrade"],
        ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
      ]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
        "Connection: Upgrade\r\n\r\n",
    ],
    [
      "Upgrade on a non-101 response is dropped",
      response(426, "Upgrade Required", [["Upgrade", "h2c"], ["Connection", "Upgrade"], ["Content-Length", "0"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n",
    ],
    [
      "chunked framing kept, internal headers dropped, empty reason kept",
      response(200, "", [["Transfer-Encoding", "chunked"], ["x-cmux-port-internal", "1"], ["Trailer", "Expires"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
    [
      "upstream's Connection naming Content-Length does not strip the framing",
      response(200, "OK", [["Connection", "Content-Length"], ["Content-Length", "5"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
    ],
    [
      "upstream's Connection naming Transfer-Encoding does not strip the framing",
      response(200, "OK", [["Connection", "Transfer-Encoding"], ["Transfer-Encoding", "chunked"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    ],
    [
      "interim 103 relayed with its fields",
      response(103, "Early Hints", [["Link", "</a.css>; rel=preload"]]),
      { keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
    ],
  ] as [string, ResponseHead, { keepAlive: boolean; clientMinor: 0 | 1 }, string][])("%s", (_name, head, opts, expected) => {
    expect(serializeResponseHead(head, { ...opts, connection: fieldTokens(head, "connection") })).toBe(expected);
  });
});

describe("originForm [9112 §3.2]", () => {
  test.each([
    ["/a?b=c", "/a?b=c"],
    ["*", "*"],
    ["http://x/y", "/y"],
    ["http://x", "/"],
    ["http://x?q=1", "/?q=1"],
    ["HTTP://X:80/Y", "/Y"],
    ["https://x.test/y/z?q#", "/y/z?q#"],
    ["http://user:pw@x/y", "/y"],
    ["http://[::1]:8080/p", "/p"],
    ["127.0.0.1:5432", "127.0.0.1:5432"],
    ["/http://x/y", "/http://x/y"],
  ])("%p -> %p", (target, expected) => {
    expect(originForm(target)).toBe(expected);
  });
});

describe("the proxy's own X-Cmux-* fields never go upstream", () => {
  test.each([
    ["x-cmux-port-internal", true],
    ["x-cmux-workspace-internal", true],
    ["x-cmux-anything-else-internal", true],
    ["x-cmux-port", false],
    ["x-port-internal", false],
    ["cmux-port-internal", false],
    ["x-cmux-port-internals", false],
    ["x-cmux-token", true],
    ["x-cmux-tokens", false],
    ["x-token", false],
  ] as [string, boolean][])("%p dropped: %p", (name, expected) => {
    const out = serializeRequestHead(request("/", 1, [["Host", "x"], [name, "1"]]), { upgrade: false, connection: [] });
    expect(out).toBe(expected ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n" : `GET / HTTP/1.1\r\nHost: x\r\n${name}: 1\r\n\r\n`);
  });
});

describe("absolute form [9112 §3.2.2]: the URI's authority replaces Host", () => {
  test.each([
    ["origin-form keeps Host", "/y", [["Host", "a.test"]], [["Host", "a.test"]]],
    ["absolute-form replaces Host", "http://b.test:9/y", [["Host", "a.test"]], [["Host", "b.test:9"]]],
    ["case-insensitive scheme", "HTTPS://b.test/y", [["host", "a.test"]], [["host", "b.test"]]],
    ["adds a missing Host", "http://b.test", [["Accept", "*/*"]], [["Accept", "*/*"], ["Host", "b.test"]]],
    ["drops userinfo", "http://u:p@b.test/y", [], [["Host", "b.test"]]],
    ["empty authority", "http:///y", [["Host", "a.test"]], [["Host", ""]]],
    ["another scheme is left alone", "ftp://b.test/y", [["Host", "a.test"]], [["Host", "a.test"]]],
    ["asterisk-form is left alone", "*", [["Host", "a.test"]], [["Host", "a.test"]]],
  ] as [string, string, [string, string][], [string, string][]][])("%s", (_name, target, before, after) => {
    const head = request(target, 1, before);
    const out = serializeRequestHead(head, { upgrade: false, connection: [], host: absoluteFormHost(target) });
    const lines = out.split("\r\n").slice(1, -2);
    expect(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)])).toEqual(after);
  });
});
