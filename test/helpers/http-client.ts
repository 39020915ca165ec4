// A minimal keep-alive HTTP/1.1 client over a raw socket, for load tests that must see exactly what
// the proxy sends: it reads each response by its own framing (Content-Length, chunked, or until
// close) and hands the body bytes to the caller as they arrive, without keeping them.

import type { Socket } from "bun";
import { writeAll } from "./net";
import { Wake, waitFor } from "./wait";

export interface Response {
  status: number;
  head: string;
  bodyBytes: number;
  /** The connection may carry another request. */
  reusable: boolean;
}

const enum Ch {
  Size,
  Data,
  DataCrlf,
  Trailers,
}

export class HttpConn {
  private buf: Uint8Array = new Uint8Array(0);
  private closed = false;
  private readonly wake = new Wake();

  private constructor(readonly socket: Socket<HttpConn>) {}

  static async open(port: number): Promise<HttpConn> {
    let conn: HttpConn | null = null;
    const socket = await Bun.connect<HttpConn>({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(s, b) {
          s.data.push(b);
        },
        close(s) {
          s.data.closed = true;
          s.data.wake.notify();
        },
        end(s) {
          s.data.closed = true;
          s.data.wake.notify();
        },
        error() {
          // `close` follows.
        },
      },
    });
    conn = new HttpConn(socket);
    socket.data = conn;
    return conn;
  }

  private push(b: Uint8Array): void {
    if (this.buf.length === 0) this.buf = new Uint8Array(b);
    else {
      const n = new Uint8Array(this.buf.length + b.length);
      n.set(this.buf);
      n.set(b, this.buf.length);
      this.buf = n;
    }
    this.wake.notify();
  }

  /** Waits for more bytes: true once they came, false when the peer closed first; throws at the deadline. */
  private async more(deadline: number): Promise<boolean> {
    if (this.closed) return false;
    const had = this.buf.length;
    if (!(await waitFor(() => this.buf.length > had || this.closed, deadline - Date.now(), 250, this.wake))) throw new Error("response timed out");
    return this.buf.length > had;
  }

  private take(n: number): Uint8Array {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Sends a request head (and body) and reads the whole response; body bytes go to `onBody`. */
  async exchange(head: string, body: Uint8Array | null, onBody: (b: Uint8Array) => void, timeoutMs = 30_000): Promise<Response> {
    const deadline = Date.now() + timeoutMs;
    await writeAll(this.socket, Buffer.from(head, "latin1"));
    if (body !== null) await writeAll(this.socket, body);
    return this.read(onBody, deadline);
  }

  private async read(onBody: (b: Uint8Array) => void, deadline: number): Promise<Response> {
    let end: number;
    while ((end = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.length).indexOf("\r\n\r\n")) === -1) {
      if (!(await this.more(deadline))) throw new Error(`connection closed before a response head (${this.buf.length} bytes)`);
    }
    const head = Buffer.from(this.take(end + 4)).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
    if (status >= 100 && status < 200 && status !== 101) return this.read(onBody, deadline);
    const lower = head.toLowerCase();
    const cl = /\r\ncontent-length: *(\d+)/.exec(lower);
    const chunked = /\r\ntransfer-encoding: *chunked/.test(lower);
    const reusable = !/\r\nconnection: *close/.test(lower);
    let bodyBytes = 0;
    const deliver = (b: Uint8Array) => {
      bodyBytes += b.length;
      onBody(b);
    };
    if (chunked) await this.readChunked(deliver, deadline);
    else if (cl !== null) {
      let left = Number(cl[1]);
      while (left > 0) {
        if (this.buf.length === 0 && !(await this.more(deadline))) throw new Error(`connection closed ${left} bytes before the end of the body`);
        const part = this.take(Math.min(left, this.buf.length));
        left -= part.length;
        deliver(part);
      }
    } else if (status !== 204 && status !== 304) {
      for (;;) {
        if (this.buf.length > 0) deliver(this.take(this.buf.length));
        if (!(await this.more(deadline)) && this.buf.length === 0) break;
      }
      return { status, head, bodyBytes, reusable: false };
    }
    return { status, head, bodyBytes, reusable };
  }

  private async readChunked(deliver: (b: Uint8Array) => void, deadline: number): Promise<void> {
    let st = Ch.Size;
    let left = 0;
    for (;;) {
      if (st === Ch.Data) {
        if (left === 0) st = Ch.DataCrlf;
        else if (this.buf.length > 0) {
          const part = this.take(Math.min(left, this.buf.length));
          left -= part.length;
          deliver(part);
          continue;
        }
      }
      const text = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.length);
      const eol = text.indexOf("\r\n");
      if (st !== Ch.Data && eol !== -1) {
        const line = text.toString("latin1", 0, eol);
        this.take(eol + 2);
        if (st === Ch.Size) {
          left = parseInt(line, 16);
          if (!Number.isFinite(left) || !/^[0-9a-fA-F]+/.test(line)) throw new Error(`bad chunk size line "${line}"`);
          st = left === 0 ? Ch.Trailers : Ch.Data;
        } else if (st === Ch.DataCrlf) {
          if (line !== "") throw new Error("chunk data not followed by CRLF");
          st = Ch.Size;
        } else if (line === "") {
          return;
        }
        continue;
      }
      if (!(await this.more(deadline))) throw new Error("connection closed inside a chunked body");
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.end();
  }

  terminate(): void {
    this.socket.terminate();
  }
}
