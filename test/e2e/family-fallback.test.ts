// Servers that listen on one loopback family only (README "Servers on ::1 only"): Node 17+ resolves
// `localhost` verbatim, so `vite` and `next dev` often bind [::1] alone. Real Node servers, real
// curl through the proxy, both directions of the fallback, and the 502 that names every address.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { startTestProxy, type TestProxy } from "../helpers/net";

/** `node` serving `body` on `host` (port 0); resolves once it listens, with its port. */
async function nodeServer(host: string, body: string): Promise<{ proc: Subprocess<"ignore", "pipe", "pipe">; port: number }> {
  const script = `const s=require('http').createServer((q,r)=>r.end(${JSON.stringify(body)}+' '+q.socket.localAddress));s.listen(0,${JSON.stringify(host)},()=>console.log(s.address().port))`;
  const proc = Bun.spawn(["node", "-e", script], { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\n")) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`node did not listen on ${host} within 10 s`);
    const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
    if (chunk === null) continue;
    if (chunk.done) throw new Error(`node exited: ${await new Response(proc.stderr).text()}`);
    text += Buffer.from(chunk.value).toString();
  }
  reader.releaseLock();
  return { proc, port: Number(text.trim()) };
}

async function curl(port: number, headers: string[], path = "/"): Promise<{ status: number; body: string }> {
  const args = ["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", ...headers.flatMap((h) => ["-H", h]), `http://127.0.0.1:${port}${path}`];
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const nl = out.lastIndexOf("\n");
  return { status: Number(out.slice(nl + 1)), body: out.slice(0, nl) };
}

const servers: Subprocess[] = [];
let v6Only: { port: number };
let v4Only: { port: number };
let viaV4: TestProxy;
let viaV6: TestProxy;
let viaLocalhost: TestProxy;

beforeAll(async () => {
  const a = await nodeServer("::1", "from-v6");
  const b = await nodeServer("127.0.0.1", "from-v4");
  servers.push(a.proc, b.proc);
  v6Only = a;
  v4Only = b;
  viaV4 = startTestProxy({}, "127.0.0.1");
  viaV6 = startTestProxy({}, "::1");
  viaLocalhost = startTestProxy({}, "localhost");
});

afterAll(async () => {
  for (const p of servers) p.kill();
  await Promise.all(servers.map((p) => Promise.race([p.exited, Bun.sleep(5000)])));
  await viaV4.stop();
  await viaV6.stop();
  await viaLocalhost.stop();
});

describe("the default upstream reaches a server on either family", () => {
  test("--upstream-host 127.0.0.1 (the default) reaches a Node server on [::1] only", async () => {
    const r = await curl(viaV4.port, [`X-Cmux-Port-Internal: ${v6Only.port}`]);
    expect(r).toEqual({ status: 200, body: "from-v6 ::1" });
  });

  test("--upstream-host ::1 reaches a Node server on 127.0.0.1 only", async () => {
    const r = await curl(viaV6.port, [`X-Cmux-Port-Internal: ${v4Only.port}`]);
    expect(r).toEqual({ status: 200, body: "from-v4 127.0.0.1" });
  });

  test("--upstream-host localhost reaches both", async () => {
    expect(await curl(viaLocalhost.port, [`X-Cmux-Port-Internal: ${v6Only.port}`])).toEqual({ status: 200, body: "from-v6 ::1" });
    expect(await curl(viaLocalhost.port, [`X-Cmux-Port-Internal: ${v4Only.port}`])).toEqual({ status: 200, body: "from-v4 127.0.0.1" });
  });

  test("the first family is tried first: 127.0.0.1 wins when both listen", async () => {
    const both = await nodeServer("::1", "v6-twin");
    servers.push(both.proc);
    // The same port on 127.0.0.1 too (a port taken there would throw here, not pass).
    const v4 = Bun.serve({ hostname: "127.0.0.1", port: both.port, fetch: () => new Response("v4-twin") });
    try {
      expect((await curl(viaV4.port, [`X-Cmux-Port-Internal: ${both.port}`])).body).toBe("v4-twin");
      expect((await curl(viaV6.port, [`X-Cmux-Port-Internal: ${both.port}`])).body).toBe("v6-twin ::1");
    } finally {
      v4.stop(true);
    }
  });
});
