// Errors that diagnose (README "Errors that diagnose"): a refused connect's 502 says what listens
// nearby, read from the kernel's socket tables, for real servers started the wrong way (python3
// without the shim on 127.0.0.1, Node on [::1] only); browsers get the proxy's own 400/502/504/508
// as an HTML page with the same facts, everyone else the plain line.
//
// Every server is started before the first 502: the proxy reuses one reading of the tables for a
// second, so a server started after a 502 could be missing from the next one.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess, TCPSocketListener } from "bun";
import { curl } from "../helpers/curl";
import { freePort, rawUpstream, startTestProxy, type TestProxy } from "../helpers/net";
import { nodeServer } from "../helpers/node-server";
import { waitFor } from "../helpers/wait";

const CHROMIUM_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
// workspace-4321 -> 127.18.16.225: a workspace no other test or story uses.
const WS = "workspace-4321";
const WS_IP = "127.18.16.225";

let proxy: TestProxy;
const procs: Subprocess[] = [];
const listeners: TCPSocketListener<undefined>[] = [];
let shimless = 0;
let v6only = 0;
let own: number[] = [];
let silent: ReturnType<typeof rawUpstream>;

beforeAll(async () => {
  proxy = startTestProxy({ upstreamTimeout: 1 });
  // A server started without the shim: on 127.0.0.1, not on the workspace's IP.
  shimless = freePort();
  const py = Bun.spawn(["python3", "-m", "http.server", String(shimless), "--bind", "127.0.0.1"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  procs.push(py);
  const up = await waitFor(() => Bun.spawnSync(["curl", "-sf", "--max-time", "1", "-o", "/dev/null", `http://127.0.0.1:${shimless}/`]).exitCode === 0, 10_000, 50);
  if (!up) throw new Error(`python3 -m http.server ${shimless} did not come up`);
  // A Node server on [::1] only, as `vite` binds by default.
  const node = await nodeServer("::1", "v6");
  procs.push(node.proc);
  v6only = node.port;
  // Two ports the workspace does serve.
  for (let i = 0; i < 2; i++) listeners.push(Bun.listen({ hostname: WS_IP, port: 0, socket: { data() {} } }));
  own = listeners.map((l) => l.port).sort((a, b) => a - b);
  // An upstream that accepts and never answers (a 504 after --upstream-timeout 1).
  silent = rawUpstream(() => {});
});

afterAll(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => Promise.race([p.exited, Bun.sleep(5000)])));
  for (const l of listeners) l.stop(true);
  silent?.stop();
  await proxy?.stop();
});

const base = () => `http://127.0.0.1:${proxy.port}`;
const toWorkspace = (port: number) => [`X-Cmux-Workspace-Internal: ${WS}`, `X-Cmux-Port-Internal: ${port}`];

describe("a refused connect's 502 says what listens nearby (plain line for curl)", () => {
  test("a server started without the shim: 127.0.0.1:P listens, the workspace's IP does not", async () => {
    const r = await curl(`${base()}/`, toWorkspace(shimless));
    expect(r.status).toBe(502);
    expect(r.type).toBe("text/plain; charset=utf-8");
    expect(r.body).toBe(
      `upstream ${WS_IP}:${shimless} refused the connection; nothing listens on ${WS_IP}:${shimless}; ` +
        `127.0.0.1:${shimless} has a listener: a server started without the shim? (start it in the workspace with LD_PRELOAD, or leave out the workspace to reach it); ` +
        `in this workspace (${WS_IP}), ports ${own[0]} and ${own[1]} listen\n`,
    );
  });

  test("a Node server on [::1] only", async () => {
    const r = await curl(`${base()}/`, toWorkspace(v6only));
    expect(r.status).toBe(502);
    expect(r.body).toContain(`; [::1]:${v6only} has a listener: a server bound to ::1 only, which the shim cannot move into a workspace (bind it to 127.0.0.1 or localhost); `);
    expect(r.body.trimEnd().split("\n").length).toBe(1);
  });

  test("the same server through the default upstream is reached: the family fallback", async () => {
    const r = await curl(`${base()}/`, [`X-Cmux-Port-Internal: ${v6only}`]);
    expect(r).toEqual({ status: 200, type: "", body: "v6 ::1" });
  });
});

describe("browsers get an HTML page with the same facts and the forms that would work", () => {
  test("502: the reason, the diagnosis, the Host and header forms", async () => {
    const r = await curl(`${base()}/app?x=1`, [...toWorkspace(shimless), `Accept: ${CHROMIUM_ACCEPT}`]);
    expect(r.status).toBe(502);
    expect(r.type).toBe("text/html; charset=utf-8");
    expect(r.body).toStartWith("<!doctype html>\n");
    expect(r.body).toContain(`<h1>upstream ${WS_IP}:${shimless} refused the connection</h1>`);
    expect(r.body).toContain(`<li>127.0.0.1:${shimless} has a listener: a server started without the shim?`);
    expect(r.body).toContain(`<code>http://${WS}-${shimless}.localhost:${proxy.port}/app?x=1</code>`);
    expect(r.body).toContain(
      `<code>curl -H &#39;X-Cmux-Port-Internal: ${shimless}&#39; -H &#39;X-Cmux-Workspace-Internal: ${WS}&#39; http://127.0.0.1:${proxy.port}/app?x=1</code>`,
    );
    expect(r.body).not.toMatch(/<script|<link|src=/i);
  });

  test("400 without a route: the forms with their blanks named", async () => {
    const r = await curl(`${base()}/`, [`Accept: ${CHROMIUM_ACCEPT}`]);
    expect(r.status).toBe(400);
    expect(r.type).toBe("text/html; charset=utf-8");
    expect(r.body).toContain("<h1>missing required header: X-Cmux-Port-Internal</h1>");
    expect(r.body).toContain(`<code>http://&#60;workspace&#62;-&#60;port&#62;.localhost:${proxy.port}/</code>`);
  });

  test("504 for an upstream that never answers", async () => {
    const r = await curl(`${base()}/`, [`X-Cmux-Port-Internal: ${silent.port}`, `Accept: ${CHROMIUM_ACCEPT}`]);
    expect(r.status).toBe(504);
    expect(r.body).toContain(`<h1>upstream 127.0.0.1:${silent.port} did not answer within 1s</h1>`);
  });

  test("508 for a request routed to the proxy itself: no form suggests that port again", async () => {
    const r = await curl(`${base()}/`, [`X-Cmux-Port-Internal: ${proxy.port}`, `Accept: ${CHROMIUM_ACCEPT}`]);
    expect(r.status).toBe(508);
    expect(r.body).toContain(`<h1>request routed to the proxy itself (127.0.0.1:${proxy.port})</h1>`);
    expect(r.body).toContain("X-Cmux-Port-Internal: &#60;port&#62;");
  });

  test("curl's */* and an API client's Accept keep the plain line", async () => {
    for (const accept of [[], ["Accept: application/json"]]) {
      const r = await curl(`${base()}/`, accept);
      expect(r.status).toBe(400);
      expect(r.type).toBe("text/plain; charset=utf-8");
      expect(r.body).toBe("missing required header: X-Cmux-Port-Internal\n");
    }
  });
});
