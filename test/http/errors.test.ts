// The proxy's own answers [DESIGN "Rules of behaviour: Errors"]: exact bytes of status line, headers
// and the one-line plain-text body, with a Content-Length that counts UTF-8 bytes.

import { describe, expect, test } from "bun:test";
import { errorResponse, HttpError } from "../../src/http/errors";

function head(status: string, length: number): string {
  return (
    `HTTP/1.1 ${status}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${length}\r\n` +
    "Connection: close\r\n\r\n"
  );
}

function challenged(status: string, challenge: string, length: number): string {
  return head(status, length).replace("\r\n", `\r\n${challenge}\r\n`);
}

describe("errorResponse", () => {
  test.each([
    [400, "missing required header: X-Cmux-Port-Internal", head("400 Bad Request", 46) + "missing required header: X-Cmux-Port-Internal\n"],
    [431, "message head larger than 65536 bytes", head("431 Request Header Fields Too Large", 37) + "message head larger than 65536 bytes\n"],
    [502, "upstream refused the connection", head("502 Bad Gateway", 32) + "upstream refused the connection\n"],
    [504, "upstream did not answer within 5 s", head("504 Gateway Timeout", 35) + "upstream did not answer within 5 s\n"],
    [
      505,
      "unsupported HTTP version HTTP/2.0 (send HTTP/1.1)",
      head("505 HTTP Version Not Supported", 50) + "unsupported HTTP version HTTP/2.0 (send HTTP/1.1)\n",
    ],
    [
      508,
      "request routed to the proxy itself (127.0.0.1:8080)",
      head("508 Loop Detected", 52) + "request routed to the proxy itself (127.0.0.1:8080)\n",
    ],
    [403, "port 22 is not allowed (outside --allow-ports)", head("403 Forbidden", 47) + "port 22 is not allowed (outside --allow-ports)\n"],
    // 401 and 407 name the scheme that would work
    [401, "missing token", challenged("401 Unauthorized", 'WWW-Authenticate: Bearer realm="cmux-proxy"', 14) + "missing token\n"],
    [
      407,
      "missing token",
      challenged("407 Proxy Authentication Required", 'Proxy-Authenticate: Bearer realm="cmux-proxy"', 14) + "missing token\n",
    ],
    // Content-Length counts bytes: "é" is two bytes in UTF-8
    [400, 'invalid workspace "café": bad', head("400 Bad Request", 31) + 'invalid workspace "café": bad\n'],
  ] as [number, string, string][])("%p %p", (status, reason, expected) => {
    const got = errorResponse(new HttpError(status, reason));
    expect(Buffer.from(got).toString("hex")).toBe(Buffer.from(expected, "utf8").toString("hex"));
  });

  test.each([
    [400, "a"],
    [431, "more than 256 header fields"],
    [501, 'unsupported Transfer-Encoding "gzip, chunked" (send plain "chunked")'],
    [502, "x".repeat(300)],
  ] as [number, string][])("%p: head ends once, Content-Length is the body's size, body is one line", (status, reason) => {
    const text = Buffer.from(errorResponse(new HttpError(status, reason))).toString("utf8");
    const sep = text.indexOf("\r\n\r\n");
    const headText = text.slice(0, sep);
    const body = text.slice(sep + 4);
    expect(headText.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(headText.split("\r\n")).toContain(`Content-Length: ${Buffer.byteLength(reason) + 1}`);
    expect(headText.split("\r\n")).toContain("Connection: close");
    expect(body).toBe(reason + "\n");
  });
});
