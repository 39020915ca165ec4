// Servers that listen on one loopback family only (README "Servers on ::1 only"): Node 17+ resolves
// `localhost` verbatim, so `vite` and `next dev` often bind [::1] alone. Real Node servers, real
// curl through the proxy, both directions of the fallback, and the 502 that names every address.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { startTestProxy, type TestProxy } from "../helpers/net";
import { curl } from "../helpers/curl";
import { nodeServer } from "../helpers/node-server";

/** curl through a proxy on 127.0.0.1 with the given headers: status and body. */
async function viaProxy(port: number, headers: string[]): Promise<{ status: number; body: string }> {
  const r = await curl(`http://127.0.0.1:${port}/`, headers);
  return { status: r.status, body: r.body };
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
    const r = await viaProxy(viaV4.port, [`X-Cmux-Port-Internal: ${v6Only.port}`]);
    expect(r).toEqual({ status: 200, body: "from-v6 ::1" });
  });

  test("--upstream-host ::1 reaches a Node server on 127.0.0.1 only", async () => {
    const r = await viaProxy(viaV6.port, [`X-Cmux-Port-Internal: ${v4Only.port}`]);
    expect(r).toEqual({ status: 200, body: "from-v4 127.0.0.1" });
  });

  test("--upstream-host localhost reaches both", async () => {
    expect(await viaProxy(viaLocalhost.port, [`X-Cmux-Port-Internal: ${v6Only.port}`])).toEqual({ status: 200, body: "from-v6 ::1" });
    expect(await viaProxy(viaLocalhost.port, [`X-Cmux-Port-Internal: ${v4Only.port}`])).toEqual({ status: 200, body: "from-v4 127.0.0.1" });
  });

  test("the first family is tried first: 127.0.0.1 wins when both listen", async () => {
    const both = await nodeServer("::1", "v6-twin");
    servers.push(both.proc);
    // The same port on 127.0.0.1 too (a port taken there would throw here, not pass).
    const v4 = Bun.serve({ hostname: "127.0.0.1", port: both.port, fetch: () => new Response("v4-twin") });
    try {
      expect((await viaProxy(viaV4.port, [`X-Cmux-Port-Internal: ${both.port}`])).body).toBe("v4-twin");
      expect((await viaProxy(viaV6.port, [`X-Cmux-Port-Internal: ${both.port}`])).body).toBe("v6-twin ::1");
    } finally {
      v4.stop(true);
    }
  });
});

describe("nothing on either family: the 502 names every address tried", () => {
  /** A port free on both loopback families right now. */
  function refusedPort(): number {
    const l = Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } });
    const port = l.port;
    l.stop(true);
    return port;
  }

  test.each([
    ["127.0.0.1", (p: number) => `upstream 127.0.0.1:${p} refused the connection (tried 127.0.0.1:${p} and [::1]:${p})`],
    ["::1", (p: number) => `upstream [::1]:${p} refused the connection (tried [::1]:${p} and 127.0.0.1:${p})`],
    ["localhost", (p: number) => `upstream localhost:${p} refused the connection (tried 127.0.0.1:${p} and [::1]:${p})`],
  ] as [string, (p: number) => string][])("--upstream-host %s", async (host, reason) => {
    const proxy = host === "127.0.0.1" ? viaV4 : host === "::1" ? viaV6 : viaLocalhost;
    const port = refusedPort();
    const r = await viaProxy(proxy.port, [`X-Cmux-Port-Internal: ${port}`]);
    expect(r.status).toBe(502);
    // The reason, then what listens nearby (other workspaces' servers on this port, if any).
    expect(r.body.trimEnd().split("; ")[0]).toBe(reason(port));
  });
});
