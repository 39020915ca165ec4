// The shim call by call: a small C program (socket_probe.c) calls bind/connect/getaddrinfo through
// libc with the shim preloaded and prints what the kernel and libc did.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import {
  IP_A,
  IP_B,
  REPO,
  type Workspaces,
  baseEnv,
  buildShim,
  compileC,
  freePort,
  makeWorkspaces,
  removeDir,
  run,
  shimEnv,
} from "./harness";

let ws: Workspaces;
let probe: string;

beforeAll(async () => {
  await buildShim();
  ws = makeWorkspaces();
  probe = join(ws.root, "socket_probe");
  await compileC(probe, [join(import.meta.dir, "socket_probe.c")], ["-pthread"]);
});

afterAll(() => removeDir(ws?.root));

/** Runs the probe in `cwd` (relative to the temp root) with the shim and `env`. */
function probeIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const dir = join(ws.root, cwd);
  mkdirSync(dir, { recursive: true });
  return run([probe, ...args], { cwd: dir, env: shimEnv(env) });
}

test("make builds cleanly with -Wall -Wextra -Werror", async () => {
  // Into a temporary path: rebuilding in place could swap the library under a running process.
  const out = join(ws.root, "rebuilt.so");
  const r = await run(["make", "-B", "-C", join(REPO, "ldpreload"), `SHIM=${out}`], { timeoutMs: 60_000 });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("-Wall -Wextra -Werror");
  expect(r.stderr).toBe("");
  const symbols = await run(["nm", "-D", "--defined-only", out]);
  const exported = symbols.stdout.split("\n").filter(Boolean).map((l) => l.split(" ").pop());
  expect(exported.sort()).toEqual(["bind", "connect", "getaddrinfo"]);
  // The build's own 60 s, not the 30 s default of `bun run test`: a compile on a busy machine takes longer.
}, 60_000);

describe("workspace detection (bind 127.0.0.1 shows the IP chosen)", () => {
  test.each([
    ["workspace-a/app/server", {}, IP_A, "nearest ancestor named workspace-*"],
    ["workspace-a", {}, IP_A, "the directory itself"],
    ["workspace-7/workspace-b/src", {}, IP_B, "the nearest one wins"],
    ["workspace-300/x", {}, "127.18.1.44", "numbered workspace"],
    ["outside", {}, "127.0.0.1", "outside any workspace nothing changes"],
    ["my-workspace-a", {}, "127.0.0.1", "the name must start with workspace-"],
    ["outside", { CMUX_WORKSPACE_INTERNAL: "workspace-300" }, "127.18.1.44", "env var names it"],
    ["workspace-a", { CMUX_WORKSPACE_INTERNAL: "/root/workspace-b" }, IP_B, "env var (a path) wins over cwd"],
    ["workspace-a", { CMUX_WORKSPACE_INTERNAL: "" }, IP_A, "empty env var counts as unset"],
    ["workspace-a", { CMUX_PRELOAD_DISABLE: "1" }, "127.0.0.1", "CMUX_PRELOAD_DISABLE=1 turns it off"],
    ["outside", { CMUX_WORKSPACE_INTERNAL: "workspace-a", CMUX_PRELOAD_DISABLE: "1" }, "127.0.0.1", "off beats the env var"],
    ["workspace-a", { CMUX_PRELOAD_DISABLE: "0" }, IP_A, "CMUX_PRELOAD_DISABLE=0 does not"],
  ] as const)("%s %j -> %s (%s)", async (cwd, env, ip) => {
    const r = await probeIn(cwd, ["bind4", "127.0.0.1", "0"], env);
    expect(r.stdout).toBe(`${ip}\n`);
    expect(r.stderr).toBe(""); // quiet unless asked to log
    expect(r.code).toBe(0);
  });

  test.each([
    ["workspace-0/app", {}, 'workspace number out of range in "workspace-0" (expected 1-65535)'],
    ["outside", { CMUX_WORKSPACE_INTERNAL: "workspace-65536" }, 'workspace number out of range in "workspace-65536"'],
    ["outside", { CMUX_WORKSPACE_INTERNAL: "/" }, "empty workspace name"],
  ] as const)("%s %j: inactive with one warning line", async (cwd, env, warning) => {
    const r = await probeIn(cwd, ["bind4", "127.0.0.1", "0"], env);
    expect(r.stdout).toBe("127.0.0.1\n");
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(warning);
  });

  test("CMUX_PRELOAD_LOG=1 names the workspace and prints each rewrite", async () => {
    const r = await probeIn("workspace-a/app", ["bind4", "127.0.0.1", "0"], { CMUX_PRELOAD_LOG: "1" });
    expect(r.stdout).toBe(`${IP_A}\n`);
    expect(r.stderr).toMatch(/^cmux-preload\[\d+\]: workspace "workspace-a" \(from the current directory\) -> 127\.18\.176\.32$/m);
    expect(r.stderr).toMatch(/^cmux-preload\[\d+\]: bind 127\.0\.0\.1:0 -> 127\.18\.176\.32:0$/m);
  });
});

describe("bind", () => {
  // "P" stands for a free port: a wildcard bind is only moved when it names a port.
  test.each([
    [["bind4", "127.0.0.1", "0"], IP_A],
    [["bind4", "127.0.0.1", "P"], IP_A],
    [["bind4", "0.0.0.0", "P"], IP_A],
    [["bind4", "127.0.0.2", "0"], "127.0.0.2"], // other loopback addresses are left alone
    [["bind4", IP_B, "0"], IP_B],
    [["bind6", "::", "P", "dual"], `::ffff:${IP_A}`],
    [["bind6", "::1", "0", "dual"], `::ffff:${IP_A}`],
    [["bind6", "::ffff:127.0.0.1", "0", "dual"], `::ffff:${IP_A}`],
    [["bind6", "::ffff:0.0.0.0", "P", "dual"], `::ffff:${IP_A}`],
    // Wildcard and port 0: a client's source address, left routable (README).
    [["bind4", "0.0.0.0", "0"], "0.0.0.0"],
    [["bind6", "::", "0", "dual"], "::"],
    [["bind6", "::ffff:0.0.0.0", "0", "dual"], "::ffff:0.0.0.0"],
    // IPV6_V6ONLY sockets cannot take a v4-mapped address: they keep theirs (README: not isolated).
    [["bind6", "::", "P", "v6only"], "::"],
    [["bind6", "::1", "0", "v6only"], "::1"],
  ] as const)("%j in workspace-a -> %s", async (args, ip) => {
    const r = await probeIn("workspace-a", args.map((a) => (a === "P" ? String(freePort()) : a)));
    expect(r.stdout).toBe(`${ip}\n`);
  });

  test("what is left alone is logged with the reason", async () => {
    const port = freePort();
    const [v6only, wildcard] = await Promise.all([
      probeIn("workspace-a", ["bind6", "::", String(port), "v6only"], { CMUX_PRELOAD_LOG: "1" }),
      probeIn("workspace-a", ["bind4", "0.0.0.0", "0"], { CMUX_PRELOAD_LOG: "1" }),
    ]);
    expect(v6only.stderr).toContain(`bind [::]:${port} left unchanged: IPV6_V6ONLY socket, not isolated`);
    expect(wildcard.stderr).toContain("bind 0.0.0.0:0 left unchanged: wildcard address with port 0");
  });

  test("a listener left on 0.0.0.0:0 still accepts the workspace's connect to 127.0.0.1", async () => {
    const r = await probeIn("workspace-a", ["listen-any-connect"]);
    expect(r.stdout).toBe(`${IP_A}\n`);
  });
});

describe("connect", () => {
  let listener: TCPSocketListener;
  let port: number;
  beforeAll(() => {
    // A listener on workspace-a's IP, outside the shim: where rewritten connects must land.
    listener = Bun.listen({ hostname: IP_A, port: 0, socket: { open: (s) => void s.end(), data() {} } });
    port = listener.port;
  });
  afterAll(() => listener?.stop(true));

  test.each([
    [["connect4", "127.0.0.1"], IP_A],
    [["connect4", "0.0.0.0"], IP_A],
    [["connect6", "::1", "dual"], `::ffff:${IP_A}`],
    [["connect6", "::", "dual"], `::ffff:${IP_A}`],
    [["connect6", "::ffff:127.0.0.1", "dual"], `::ffff:${IP_A}`],
  ] as const)("%j from workspace-a reaches %s", async (args, peer) => {
    const [cmd, addr, mode] = args;
    const r = await probeIn("workspace-a", mode ? [cmd, addr, String(port), mode] : [cmd, addr, String(port)]);
    expect(r.stdout).toBe(`${peer} ${port}\n`);
  });

  test("an IPV6_V6ONLY socket connecting to ::1 keeps ::1", async () => {
    const r = await probeIn("workspace-a", ["connect6", "::1", String(port), "v6only"], { CMUX_PRELOAD_LOG: "1" });
    expect(r.stderr).toContain(`connect [::1]:${port} left unchanged`);
    expect(r.stdout).not.toContain(IP_A);
  });

  test("outside a workspace 127.0.0.1 stays 127.0.0.1", async () => {
    const r = await probeIn("outside", ["connect4", "127.0.0.1", String(port)]);
    expect(r.stdout).toBe("error connect ECONNREFUSED\n");
  });

  test("from workspace-b the same port is B's, not A's", async () => {
    const r = await probeIn("workspace-b", ["connect4", "127.0.0.1", String(port)]);
    expect(r.stdout).toBe("error connect ECONNREFUSED\n");
  });
});

describe("getaddrinfo", () => {
  const A6 = `::ffff:${IP_A}`;
  test.each([
    // node, service, family, socktype, flags -> lines
    [["localhost", "80", "unspec", "stream", "none"], [`inet stream ${IP_A} 80`]],
    [["localhost", "80", "inet", "stream", "none"], [`inet stream ${IP_A} 80`]],
    [["localhost", "80", "inet6", "stream", "none"], [`inet6 stream ${A6} 80`]],
    [["LOCALHOST.", "80", "unspec", "stream", "none"], [`inet stream ${IP_A} 80`]],
    [["127.0.0.1", "8080", "unspec", "dgram", "none"], [`inet dgram ${IP_A} 8080`]],
    [["::1", "80", "inet6", "stream", "none"], [`inet6 stream ${A6} 80`]],
    // An IPv6 literal stays IPv6 (PostgreSQL's default pg_hba.conf `::1/128` must stay a valid mask).
    [["::1", "80", "unspec", "stream", "none"], [`inet6 stream ${A6} 80`]],
    [["::1", "-", "unspec", "stream", "numerichost"], [`inet6 stream ${A6} 0`]],
    [["-", "3000", "unspec", "stream", "passive"], [`inet stream ${IP_A} 3000`]],
    [["-", "3000", "inet6", "stream", "passive"], [`inet6 stream ${A6} 3000`]],
    [["-", "3000", "unspec", "stream", "none"], [`inet stream ${IP_A} 3000`]],
    [["localhost", "http", "unspec", "stream", "none"], [`inet stream ${IP_A} 80`]],
    [["localhost", "80", "unspec", "stream", "addrconfig,v4mapped"], [`inet stream ${IP_A} 80`]],
    [["localhost", "80", "unspec", "stream", "canonname"], [`inet stream ${IP_A} 80 ${IP_A}`]],
    [["localhost", "80", "nohints", "0", "none"], [`inet stream ${IP_A} 80`, `inet dgram ${IP_A} 80`, `inet raw ${IP_A} 80`]],
    [["localhost", "80", "unspec", "0", "none"], [`inet stream ${IP_A} 80`, `inet dgram ${IP_A} 80`, `inet raw ${IP_A} 80`]],
    // Errors are libc's own, for the same reasons as without the shim.
    [["localhost", "no-such-service", "unspec", "stream", "none"], ["error EAI_SERVICE"]],
    [["localhost", "http", "unspec", "stream", "numericserv"], ["error EAI_NONAME"]],
    [["localhost", "80", "unspec", "stream", "numerichost"], ["error EAI_NONAME"]],
    [["::1", "80", "inet", "stream", "none"], ["error EAI_ADDRFAMILY"]],
    [["-", "-", "unspec", "stream", "passive"], ["error EAI_NONAME"]],
    // Not ours: left to libc.
    [["127.0.0.2", "80", "unspec", "stream", "none"], ["inet stream 127.0.0.2 80"]],
  ] as const)("%j in workspace-a", async (args, lines) => {
    const r = await probeIn("workspace-a", ["gai", ...args]);
    expect(r.stdout).toBe(lines.map((l) => `${l}\n`).join(""));
  });

  test("outside a workspace localhost is libc's answer", async () => {
    const outside = await probeIn("outside", ["gai", "localhost", "80", "inet", "stream", "none"]);
    const plain = await run([probe, "gai", "localhost", "80", "inet", "stream", "none"], { cwd: ws.outside, env: baseEnv() });
    expect(outside.stdout).toBe(plain.stdout);
    expect(outside.stdout).toBe("inet stream 127.0.0.1 80\n");
  });

  test("answers are freed by the real freeaddrinfo: no leak, no invalid free (valgrind)", async () => {
    const r = await run(
      ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99", probe, "gai-all"],
      { cwd: ws.a, env: shimEnv({ CMUX_PRELOAD_LOG: "1" }), timeoutMs: 25_000 },
    );
    expect(r.stdout).toMatch(/^\d+ calls, \d+ answers\n$/);
    expect(r.stderr).toContain(`getaddrinfo localhost -> ${A6}`); // the shim really answered
    expect(r.stderr).not.toContain("==");                              // valgrind reported nothing
    expect(r.code).toBe(0);
  });
});

test("errno is kept on success and is the real one on failure", async () => {
  const r = await probeIn("workspace-a", ["errno"]);
  expect(r.stdout).toBe("ok\n");
});

test("32 threads resolving and binding at once all get the workspace IP", async () => {
  const r = await probeIn("workspace-a", ["threads", "32"]);
  expect(r.stdout).toBe(`32 x ${IP_A} ${IP_A}\n`);
});
