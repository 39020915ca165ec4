// A raw CONNECT tunnel through the proxy to a TCP echo server, with the bytes compared: send the
// CONNECT head, expect 200, stream 4 MiB of random bytes, half-close, and require exactly the same
// bytes back followed by the server's own half-close. Prints one summary line; exits non-zero with
// the reason.
//
//   bun scripts/e2e/connect-check.ts <proxy port> <workspace> <port>

import { connect } from "node:net";

const [proxyPort, workspace, port] = process.argv.slice(2);
if (!proxyPort || !workspace || !port) {
  console.error("usage: connect-check.ts <proxy port> <workspace> <port>");
  process.exit(2);
}

const TIMEOUT_MS = 15_000;
const SIZE = 4 << 20;
const payload = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += 65_536) crypto.getRandomValues(payload.subarray(i, i + 65_536));

const head =
  `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
  `X-Cmux-Port-Internal: ${port}\r\nX-Cmux-Workspace-Internal: ${workspace}\r\n\r\n`;

const summary = await new Promise<string>((resolve, reject) => {
  let headBuf = Buffer.alloc(0);
  let established = false;
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  const sock = connect({ host: "127.0.0.1", port: Number(proxyPort), allowHalfOpen: true });
  const timer = setTimeout(() => {
    sock.destroy();
    reject(new Error(`tunnel not finished within ${TIMEOUT_MS} ms (${receivedBytes} bytes back)`));
  }, TIMEOUT_MS);
  const fail = (msg: string) => {
    clearTimeout(timer);
    sock.destroy();
    reject(new Error(msg));
  };

  sock.on("connect", () => sock.write(head));
  sock.on("data", (chunk: Buffer) => {
    if (!established) {
      headBuf = Buffer.concat([headBuf, chunk]);
      const end = headBuf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const status = headBuf.subarray(0, headBuf.indexOf("\r\n")).toString("latin1");
      if (!/^HTTP\/1\.1 200 /.test(status)) return fail(`proxy answered "${status}" instead of 200`);
      established = true;
      chunk = headBuf.subarray(end + 4);
      sock.write(payload);
      sock.end();
    }
    if (chunk.length > 0) {
      chunks.push(chunk);
      receivedBytes += chunk.length;
    }
  });
  sock.on("end", () => {
    clearTimeout(timer);
    sock.destroy();
    if (!established) return reject(new Error("proxy closed before answering the CONNECT"));
    const back = Buffer.concat(chunks);
    if (back.length !== SIZE) return reject(new Error(`sent ${SIZE} bytes, got ${back.length} back`));
    if (!back.equals(Buffer.from(payload))) return reject(new Error(`${SIZE} bytes came back, but different`));
    resolve(`${SIZE} bytes through the tunnel and back intact, half-close both ways`);
  });
  sock.on("error", (err) => fail(`socket error: ${err.message}`));
}).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});

console.log(summary);
