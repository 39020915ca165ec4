// The real curl, as a user runs it: status, Content-Type and body of one request (bounded in time).

export interface CurlResult {
  status: number;
  type: string;
  body: string;
}

export async function curl(url: string, headers: string[] = []): Promise<CurlResult> {
  const args = ["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code} %{content_type}", ...headers.flatMap((h) => ["-H", h]), url];
  const p = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0) throw new Error(`curl ${url} failed: ${await new Response(p.stderr).text()}`);
  const nl = out.lastIndexOf("\n");
  const tail = out.slice(nl + 1);
  const sp = tail.indexOf(" ");
  return { status: Number(tail.slice(0, sp)), type: tail.slice(sp + 1), body: out.slice(0, nl) };
}
