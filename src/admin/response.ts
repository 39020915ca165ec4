// What an admin endpoint answers, and its bytes on the wire. Endpoints are functions from the
// proxy's state to an AdminResponse; only the connection decides keep-alive and HEAD.

export interface AdminResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  404: "Not Found",
  405: "Method Not Allowed",
  503: "Service Unavailable",
};

/** A plain-text answer of one line. */
export function textResponse(status: number, line: string, extra: [string, string][] = []): AdminResponse {
  return { status, headers: [["Content-Type", "text/plain; charset=utf-8"], ...extra], body: line + "\n" };
}

export interface WireOptions {
  /** A HEAD request: the same head, no body. */
  head: boolean;
  keepAlive: boolean;
  clientMinor: 0 | 1;
}

export function serializeAdminResponse(r: AdminResponse, o: WireOptions): Buffer {
  const body = Buffer.from(r.body, "utf8");
  let head = `HTTP/1.1 ${r.status} ${STATUS_TEXT[r.status] ?? "Status"}\r\n`;
  for (const [name, value] of r.headers) head += `${name}: ${value}\r\n`;
  // Never cached, never sniffed: the page lists what runs right now.
  head += `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${body.length}\r\n`;
  if (!o.keepAlive) head += "Connection: close\r\n";
  else if (o.clientMinor === 0) head += "Connection: keep-alive\r\n";
  head += "\r\n";
  const headBytes = Buffer.from(head, "latin1");
  return o.head ? headBytes : Buffer.concat([headBytes, body]);
}
