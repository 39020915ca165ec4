// A real Node HTTP server on one address, as dev servers are (Node 17+ binds `localhost` to [::1]
// only): it answers `<body> <local address>` and resolves once it listens, with its port.

import type { Subprocess } from "bun";

export async function nodeServer(host: string, body: string, port = 0): Promise<{ proc: Subprocess<"ignore", "pipe", "pipe">; port: number }> {
  const script = `const s=require('http').createServer((q,r)=>r.end(${JSON.stringify(body)}+' '+q.socket.localAddress));s.listen(${port},${JSON.stringify(host)},()=>console.log(s.address().port))`;
  const proc = Bun.spawn(["node", "-e", script], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  try {
    while (!text.includes("\n")) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`node did not listen on ${host} within 10 s`);
      const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
      if (chunk === null) continue;
      if (chunk.done) throw new Error(`node exited: ${await new Response(proc.stderr).text()}`);
      text += Buffer.from(chunk.value).toString();
    }
  } catch (e) {
    proc.kill();
    throw e;
  } finally {
    reader.releaseLock();
  }
  return { proc, port: Number(text.trim()) };
}
