// The proxy's own answers: one plain-text line, and `Connection: close` whenever the byte stream can
// no longer be trusted (every error the proxy itself produces falls in that class here).

export class HttpError {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {}
}

/**
 * The one place an upstream's protocol error (a head or body the pure parsers refused) becomes the
 * proxy's answer: 502, whatever status a client would have got for the same bytes.
 */
export function upstreamFault(err: HttpError, part: "head" | "body"): HttpError {
  return new HttpError(502, `upstream sent an invalid response ${part}: ${err.reason}`);
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  508: "Loop Detected",
};

export function errorResponse(err: HttpError): Uint8Array {
  const body = err.reason + "\n";
  const bodyBytes = Buffer.from(body, "utf8");
  const head =
    `HTTP/1.1 ${err.status} ${STATUS_TEXT[err.status] ?? "Error"}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${bodyBytes.length}\r\n` +
    `Connection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), bodyBytes]);
}
