// One keep-alive HTTP/1.1 client connection for the bench clients: send a request's bytes, resolve
// when its whole response (head and Content-Length body) has arrived. Responses must carry a
// Content-Length (the bench's upstreams always do).
import type { Socket } from "bun";

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

export class KeepAliveConn {
  private socket!: Socket<undefined>;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (status: number) => void; reject: (e: Error) => void } | null = null;
  private closed: string | null = null;

  static async open(port: number): Promise<KeepAliveConn> {
    const c = new KeepAliveConn();
    c.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, bytes) => c.onData(bytes),
        close: () => c.fail("connection closed"),
        error: (_s, err) => c.fail(`connection error: ${err.message}`),
      },
    });
    c.socket.setNoDelay(true);
    return c;
  }

  /** Sends `request` and resolves with the response's status once all of it has arrived. */
  fetch(request: Uint8Array): Promise<number> {
    if (this.closed !== null) return Promise.reject(new Error(this.closed));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.closed ??= "closed by the client";
    this.socket.end();
  }

  private onData(bytes: Buffer) {
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    const end = this.buf.indexOf(HEAD_END);
    if (end === -1 || this.waiting === null) return;
    const head = this.buf.toString("latin1", 0, end);
    const length = LENGTH.exec(head);
    if (length === null) return this.fail(`response without Content-Length: ${head.slice(0, 80)}`);
    const total = end + 4 + Number(length[1]);
    if (this.buf.length < total) return;
    if (this.buf.length > total) return this.fail("more bytes than one response");
    this.buf = Buffer.alloc(0);
    const w = this.waiting;
    this.waiting = null;
    w.resolve(Number(head.slice(9, 12)));
  }

  private fail(why: string) {
    this.closed ??= why;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(new Error(why));
  }
}
