// The proxy (no shim) in front of servers started under the shim: X-Cmux-Workspace-Internal picks the
// workspace, so the same port number reaches A's or B's server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import {
  Child,
  IP_A,
  REPO,
  type Workspaces,
  baseEnv,
  buildShim,
  freePort,
  makeWorkspaces,
  removeDir,
  run,
  shimEnv,
} from "./harness";

let ws: Workspaces;
const children: Child[] = [];
let proxyPort = 0;
let pythonPort = 0;
let nodePort = 0;

function start(cmd: string[], cwd: string, env: Record<string, string>): Child {
  const child = new Child(cmd, { cwd, env });
  children.push(child);
  return child;
}

beforeAll(async () => {
  await buildShim();
  ws = makeWorkspaces();
  pythonPort = freePort();
  nodePort = freePort();
  proxyPort = freePort();
  const python = ["python3", "-m", "http.server", String(pythonPort), "--bind", "127.0.0.1"];
  const node = (marker: string) => [
    "node",
    "-e",
    `const s = require("http").createServer((q, r) => r.end("${marker}\\n"));
     s.listen(${nodePort}, () => console.log("listening"));`,
  ];
  const started = [
    start(python, ws.a, shimEnv({ PYTHONUNBUFFERED: "1" })).waitFor(/Serving HTTP/),
    start(python, ws.b, shimEnv({ PYTHONUNBUFFERED: "1" })).waitFor(/Serving HTTP/),
    start(node("node workspace-a"), ws.a, shimEnv()).waitFor(/listening/),
    start(node("node workspace-b"), ws.b, shimEnv()).waitFor(/listening/),
    start(["bun", join(REPO, "src/cli.ts"), "--listen", `127.0.0.1:${proxyPort}`], REPO, baseEnv()).waitFor(
      /listening/,
    ),
  ];
  await Promise.all(started);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  removeDir(ws?.root);
});

function viaProxy(path: string, headers: Record<string, string>) {
  const args = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  return run(["curl", "-sS", "--max-time", "5", ...args, `http://127.0.0.1:${proxyPort}${path}`], { cwd: ws.outside });
}

test.each([
  ["workspace-a", "workspace-a\n"],
  ["workspace-b", "workspace-b\n"],
  ["Workspace-A", "workspace-a\n"], // same IP by the shared rule
  ["/somewhere/workspace-b", "workspace-b\n"],
])("X-Cmux-Workspace-Internal: %s reaches that workspace's python server", async (workspace, body) => {
  const r = await viaProxy("/whoami.txt", {
    "X-Cmux-Port-Internal": String(pythonPort),
    "X-Cmux-Workspace-Internal": workspace,
  });
  expect(r.stdout).toBe(body);
});

test.each([
  ["workspace-a", "node workspace-a\n"],
  ["workspace-b", "node workspace-b\n"],
])("X-Cmux-Workspace-Internal: %s reaches that workspace's Node server (bound ::)", async (workspace, body) => {
  const r = await viaProxy("/", { "X-Cmux-Port-Internal": String(nodePort), "X-Cmux-Workspace-Internal": workspace });
  expect(r.stdout).toBe(body);
});

test("Host <workspace>-<port>.localhost routes the same way", async () => {
  const r = await viaProxy("/whoami.txt", { Host: `workspace-b-${pythonPort}.localhost` });
  expect(r.stdout).toBe("workspace-b\n");
});

test("without a workspace the port is looked up on 127.0.0.1, where no workspace server is", async () => {
  const r = await run(
    ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "-H", `X-Cmux-Port-Internal: ${pythonPort}`, `http://127.0.0.1:${proxyPort}/whoami.txt`],
    { cwd: ws.outside },
  );
  expect(r.stdout).toBe("502");
});

test("the servers really are on the workspace IPs the proxy computed", async () => {
  const r = await run(["curl", "-sS", "--max-time", "5", `http://${IP_A}:${pythonPort}/whoami.txt`], { cwd: ws.outside });
  expect(r.stdout).toBe("workspace-a\n");
});
