// Real servers under the shim: the same port served once per workspace, each reachable only from its
// own workspace. Python binds 127.0.0.1 explicitly; Bun and Node use their default bind (Node: `::`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CURL_COULDNT_CONNECT,
  Child,
  IP_A,
  IP_B,
  type Workspaces,
  baseEnv,
  buildShim,
  curl,
  freePort,
  makeWorkspaces,
  removeDir,
  run,
  shimEnv,
} from "./harness";

let ws: Workspaces;
const children: Child[] = [];

beforeAll(async () => {
  await buildShim();
  ws = makeWorkspaces();
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  removeDir(ws?.root);
});

function start(cmd: string[], cwd: string, env: Record<string, string>): Child {
  const child = new Child(cmd, { cwd, env });
  children.push(child);
  return child;
}

const python = (port: number) => ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"];
const bunServer = (port: number) => [
  "bun",
  "-e",
  `const s = Bun.serve({ port: ${port}, fetch: () => new Response(process.env.MARKER + "\\n") });
   console.log("listening", s.port);`,
];
const nodeServer = (port: number) => [
  "node",
  "-e",
  `const s = require("http").createServer((q, r) => r.end(process.env.MARKER + "\\n"));
   s.listen(${port}, () => console.log("listening", JSON.stringify(s.address())));`,
];

/** Checks a pair of servers started on `port` in A and B: each workspace reaches its own only. */
function isolationTests(name: string, port: () => number, path: string) {
  const url = () => `http://127.0.0.1:${port()}${path}`;

  test(`${name}: curl 127.0.0.1 from workspace-a reaches A, from workspace-b reaches B`, async () => {
    const [a, b] = await Promise.all([curl(url(), { cwd: ws.a, env: shimEnv() }), curl(url(), { cwd: ws.b, env: shimEnv() })]);
    expect(a.stdout).toBe("workspace-a\n");
    expect(b.stdout).toBe("workspace-b\n");
  });

  test(`${name}: curl localhost from each workspace reaches its own`, async () => {
    const u = `http://localhost:${port()}${path}`;
    const [a, b] = await Promise.all([curl(u, { cwd: ws.a, env: shimEnv() }), curl(u, { cwd: ws.b, env: shimEnv() })]);
    expect(a.stdout).toBe("workspace-a\n");
    expect(b.stdout).toBe("workspace-b\n");
  });

  test(`${name}: from outside any workspace neither is reachable at 127.0.0.1`, async () => {
    const [plain, shimmed] = await Promise.all([
      curl(url(), { cwd: ws.outside, env: baseEnv() }),
      curl(url(), { cwd: ws.outside, env: shimEnv() }),
    ]);
    for (const r of [plain, shimmed]) {
      expect(r.stdout).toBe("");
      expect(r.code).toBe(CURL_COULDNT_CONNECT);
    }
  });

  test(`${name}: each is at its workspace IP`, async () => {
    const [a, b] = await Promise.all([
      curl(`http://${IP_A}:${port()}${path}`, { cwd: ws.outside, env: baseEnv() }),
      curl(`http://${IP_B}:${port()}${path}`, { cwd: ws.outside, env: baseEnv() }),
    ]);
    expect(a.stdout).toBe("workspace-a\n");
    expect(b.stdout).toBe("workspace-b\n");
  });
}

const IN_USE = /address already in use|EADDRINUSE/i;

describe("python3 -m http.server --bind 127.0.0.1", () => {
  let port = 0;
  beforeAll(async () => {
    port = freePort();
    const env = shimEnv({ PYTHONUNBUFFERED: "1" });
    const a = start(python(port), ws.a, env);
    const b = start(python(port), ws.b, env);
    // http.server prints the address it really bound: the shim's rewrite, seen from inside.
    await Promise.all([
      a.waitFor(new RegExp(`Serving HTTP on ${IP_A.replaceAll(".", "\\.")} port ${port}`)),
      b.waitFor(new RegExp(`Serving HTTP on ${IP_B.replaceAll(".", "\\.")} port ${port}`)),
    ]);
  });

  isolationTests("python", () => port, "/whoami.txt");

  test("a second server on the same port in the same workspace fails: Address already in use", async () => {
    const again = start(python(port), ws.a, shimEnv({ PYTHONUNBUFFERED: "1" }));
    expect(await again.exited()).not.toBe(0);
    expect(again.output).toContain("Address already in use");
  });

  test("bash /dev/tcp/127.0.0.1/PORT is rewritten", async () => {
    const script = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET /whoami.txt HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
    const [a, b] = await Promise.all([
      run(["bash", "-c", script], { cwd: ws.a, env: shimEnv() }),
      run(["bash", "-c", script], { cwd: ws.b, env: shimEnv() }),
    ]);
    expect(a.stdout).toMatch(/^HTTP\/1\.0 200 [^]*\r\n\r\nworkspace-a\n$/);
    expect(b.stdout).toMatch(/^HTTP\/1\.0 200 [^]*\r\n\r\nworkspace-b\n$/);
  });
});

describe("Bun.serve({ port }) with the default bind", () => {
  let port = 0;
  beforeAll(async () => {
    port = freePort();
    const a = start(bunServer(port), ws.a, shimEnv({ MARKER: "workspace-a" }));
    const b = start(bunServer(port), ws.b, shimEnv({ MARKER: "workspace-b" }));
    await Promise.all([a.waitFor(/listening/), b.waitFor(/listening/)]);
  });

  isolationTests("bun", () => port, "/");

  test("a second Bun server on the same port in the same workspace fails: EADDRINUSE", async () => {
    const again = start(bunServer(port), ws.b, shimEnv({ MARKER: "again" }));
    expect(await again.exited()).not.toBe(0);
    expect(again.output).toMatch(IN_USE);
  });

  test("Bun's fetch to localhost from a workspace reaches that workspace's server", async () => {
    const script = `console.log(await (await fetch("http://localhost:${port}/")).text())`;
    const [a, b] = await Promise.all([
      run(["bun", "-e", script], { cwd: ws.a, env: shimEnv() }),
      run(["bun", "-e", script], { cwd: ws.b, env: shimEnv() }),
    ]);
    expect(a.stdout).toBe("workspace-a\n\n");
    expect(b.stdout).toBe("workspace-b\n\n");
  });
});

describe("http.createServer().listen(port) in Node with the default bind (::)", () => {
  let port = 0;
  beforeAll(async () => {
    port = freePort();
    const a = start(nodeServer(port), ws.a, shimEnv({ MARKER: "workspace-a" }));
    const b = start(nodeServer(port), ws.b, shimEnv({ MARKER: "workspace-b" }));
    // Node asked for `::`; on a dual-stack socket the shim gave it ::ffff:<workspace IP>.
    await Promise.all([
      a.waitFor(new RegExp(`listening .*"::ffff:${IP_A.replaceAll(".", "\\.")}"`)),
      b.waitFor(new RegExp(`listening .*"::ffff:${IP_B.replaceAll(".", "\\.")}"`)),
    ]);
  });

  isolationTests("node", () => port, "/");

  test("a second Node server on the same port in the same workspace fails: address already in use", async () => {
    const again = start(nodeServer(port), ws.a, shimEnv({ MARKER: "again" }));
    expect(await again.exited()).not.toBe(0);
    expect(again.output).toContain("address already in use");
  });

  test("Node's http.get to localhost from a workspace reaches that workspace's server", async () => {
    const script = `require("http").get("http://localhost:${port}/", (r) => r.pipe(process.stdout))`;
    const [a, b] = await Promise.all([
      run(["node", "-e", script], { cwd: ws.a, env: shimEnv() }),
      run(["node", "-e", script], { cwd: ws.b, env: shimEnv() }),
    ]);
    expect(a.stdout).toBe("workspace-a\n");
    expect(b.stdout).toBe("workspace-b\n");
  });
});

describe("CMUX_PRELOAD_DISABLE=1", () => {
  let port = 0;
  beforeAll(async () => {
    port = freePort();
    const server = start(python(port), ws.a, shimEnv({ PYTHONUNBUFFERED: "1", CMUX_PRELOAD_DISABLE: "1" }));
    await server.waitFor(new RegExp(`Serving HTTP on 127\\.0\\.0\\.1 port ${port}`));
  });

  test("a server started with it binds the real 127.0.0.1, reachable from outside", async () => {
    const r = await curl(`http://127.0.0.1:${port}/whoami.txt`, { cwd: ws.outside, env: baseEnv() });
    expect(r.stdout).toBe("workspace-a\n");
  });

  test("a client with it connects to the real 127.0.0.1; without it, to the workspace IP", async () => {
    const url = `http://127.0.0.1:${port}/whoami.txt`;
    const [off, on] = await Promise.all([
      curl(url, { cwd: ws.a, env: shimEnv({ CMUX_PRELOAD_DISABLE: "1" }) }),
      curl(url, { cwd: ws.a, env: shimEnv() }),
    ]);
    expect(off.stdout).toBe("workspace-a\n");
    expect(on.code).toBe(CURL_COULDNT_CONNECT);
  });
});
