// WebSocket through the proxy, routed by header, with every echoed byte compared: a text message,
// then binary messages of growing size. Prints one summary line; exits non-zero with the reason.
//
//   bun scripts/e2e/ws-check.ts <proxy port> <workspace> <port>

export {}; // a module, not a script: its own scope and top-level await

const [proxyPort, workspace, port] = process.argv.slice(2);
if (!proxyPort || !workspace || !port) {
  console.error("usage: ws-check.ts <proxy port> <workspace> <port>");
  process.exit(2);
}

const TIMEOUT_MS = 15_000;

/** getRandomValues fills at most 64 KiB per call. */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

const messages: (string | Uint8Array)[] = [`hello ${workspace} ✓`, ...[1, 1024, 65_536, 1 << 20].map(randomBytes)];

function same(a: string | Uint8Array, b: string | ArrayBuffer | Uint8Array): boolean {
  if (typeof a === "string") return typeof b === "string" && a === b;
  if (typeof b === "string") return false;
  const bb = b instanceof Uint8Array ? b : new Uint8Array(b);
  return Buffer.from(a).equals(Buffer.from(bb));
}

const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/ws`, {
  headers: { "X-Cmux-Port-Internal": port, "X-Cmux-Workspace-Internal": workspace },
});
ws.binaryType = "arraybuffer";

const result = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no complete echo within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  let next = 0;
  let bytes = 0;
  ws.onopen = () => ws.send(messages[0]!);
  ws.onmessage = (e) => {
    const sent = messages[next]!;
    if (!same(sent, e.data)) {
      clearTimeout(timer);
      reject(new Error(`message ${next} came back different (${typeof sent === "string" ? "text" : `${sent.length} bytes`})`));
      return;
    }
    bytes += typeof sent === "string" ? Buffer.byteLength(sent) : sent.length;
    next++;
    if (next === messages.length) {
      clearTimeout(timer);
      resolve(`${messages.length} messages, ${bytes} bytes echoed intact`);
      return;
    }
    ws.send(messages[next]!);
  };
  ws.onerror = (e) => {
    clearTimeout(timer);
    reject(new Error(`WebSocket error: ${(e as ErrorEvent).message ?? "connection failed"}`));
  };
  ws.onclose = (e) => {
    clearTimeout(timer);
    reject(new Error(`closed early (code ${e.code}${e.reason ? `, ${e.reason}` : ""}) after ${next} messages`));
  };
}).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});

ws.onclose = null;
ws.close();
console.log(result);
