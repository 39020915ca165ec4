// The proxy's own answers: one plain-text line, and `Connection: close` whenever the byte stream can
// no longer be trusted (every error the proxy itself produces falls in that class here). A browser
// gets the same facts as a small HTML page instead (src/http/error-page.ts).

import { errorPageHtml, PAGE_STATUSES } from "./error-page";

/** A client's value as an error quotes it: JSON-escaped and at most 40 chars, so no client can make
 * the proxy write long lines (errors are logged). */
export function quoted(value: string): string {
  return value.length > 40 ? `${JSON.stringify(value.slice(0, 40)).slice(0, -1)}..."` : JSON.stringify(value);
}

export class HttpError {
  constructor(
    readonly status: number,
    readonly reason: string,
    /** Further facts (the 502's diagnosis of what listens nearby), after the reason on the same line. */
    readonly notes: readonly string[] = [],
  ) {}
}

/**
 * The one place an upstream's protocol error (a head or body the pure parsers refused) becomes the
 * proxy's answer: 502, whatever status a client would have got for the same bytes.
 */
export function upstreamFault(err: HttpError, part: "head" | "body"): HttpError {
  return new HttpError(502, `upstream sent an invalid response ${part}: ${err.reason}`);
}

// 401 and 407 must name the scheme that would work [RFC 9110 §11.6.1, §11.7.1]. Bearer, not Basic:
// browsers show no password dialog for it, and the token is not a user name and password.
const CHALLENGE: Record<number, string> = {
  401: 'WWW-Authenticate: Bearer realm="cmux-proxy"\r\n',
  407: 'Proxy-Authenticate: Bearer realm="cmux-proxy"\r\n',
};

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  508: "Loop Detected",
};

/** The one plain line: the reason, then each note. */
export function errorLine(err: HttpError): string {
  return err.notes.length === 0 ? err.reason : `${err.reason}; ${err.notes.join("; ")}`;
}

/** A client that prefers HTML (prefersHtml) gets a page listing these request forms. */
export interface HtmlChoice {
  tries: readonly string[];
}

export function errorResponse(err: HttpError, html: HtmlChoice | null = null): Uint8Array {
  const statusText = STATUS_TEXT[err.status] ?? "Error";
  const page = html !== null && PAGE_STATUSES.has(err.status);
  const body = page
    ? errorPageHtml({ status: err.status, statusText, reason: err.reason, notes: err.notes, tries: html.tries })
    : errorLine(err) + "\n";
  const bodyBytes = Buffer.from(body, "utf8");
  const head =
    `HTTP/1.1 ${err.status} ${statusText}\r\n` +
    (CHALLENGE[err.status] ?? "") +
    `Content-Type: ${page ? "text/html" : "text/plain"}; charset=utf-8\r\n` +
    `Content-Length: ${bodyBytes.length}\r\n` +
    `Connection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), bodyBytes]);
}
