// Runs a batch of messages through Node's llhttp (test/fuzz/llhttp-oracle.cjs in a `node` child) and
// returns what it made of each. One process per batch keeps the cost to one start-up.

const ORACLE = new URL("./llhttp-oracle.cjs", import.meta.url).pathname;

export interface LlhttpMessage {
  method: string | null;
  url: string;
  version: string;
  status: number | null;
  reason: string | null;
  /** Flat [name, value, name, value, ...], as Node's parser hands them over. */
  headers: string[];
  upgrade: boolean;
  body: number;
  complete: boolean;
}

export interface LlhttpResult {
  error: string | null;
  begun: number;
  messages: LlhttpMessage[];
}

export interface LlhttpCase {
  type: "request" | "response";
  bytes: Uint8Array;
  toHead: boolean;
}

export async function llhttpParse(cases: LlhttpCase[]): Promise<LlhttpResult[]> {
  const input = JSON.stringify(cases.map((c) => ({ type: c.type, base64: Buffer.from(c.bytes).toString("base64"), toHead: c.toHead })));
  const proc = Bun.spawn(["node", "--no-deprecation", ORACLE], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  try {
    proc.stdin.write(input);
    await proc.stdin.end();
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`llhttp oracle exited ${code}: ${err}`);
    return JSON.parse(out) as LlhttpResult[];
  } finally {
    clearTimeout(timer);
  }
}
