// The security flags as users start the proxy: --help groups them, bad values stop start-up with one
// line that never quotes the token, the start-up warning appears exactly when a listener is not
// loopback and nothing narrows it, and refusals are logged with the peer, at most a few a second.
// The non-loopback listener is the host side of a network namespace the test creates.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNetNs, HOST_ADDR, netnsUnavailable, NS_ADDR, type NetNs } from "../helpers/netns";
import { okResponse, rawUpstream } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { runCli, spawnProxy } from "../helpers/proxy-process";

const TOKEN = "cli-token-0123456789abcdef";
const WARNING = "is not loopback and no access policy is set: every loopback port of this machine is reachable from the network";

test("--help lists the security flags under their own heading", async () => {
  const r = await runCli(["--help"], { NO_COLOR: "1" });
  expect(r.code).toBe(0);
  const lines = r.out.split("\n").map((l) => l.trim());
  const options = lines.indexOf("OPTIONS");
  const security = lines.indexOf("SECURITY");
  expect(options).toBeGreaterThan(-1);
  expect(security).toBeGreaterThan(options);
  const at = (flag: string) => lines.findIndex((l) => l.startsWith(flag));
  for (const flag of ["--allow-ports=<PORTS>", "--deny-ports=<PORTS>", "--workspace-only", "--auth-token=<TOKEN>", "--auth-token-file=<PATH>", "--auth-loopback"]) {
    expect(at(flag)).toBeGreaterThan(security);
  }
  for (const flag of ["--listen=<ADDR>", "--upstream-host=<HOST>", "--connect-timeout=<N>"]) {
    expect(at(flag)).toBeGreaterThan(options);
    expect(at(flag)).toBeLessThan(security);
  }
});

describe("bad settings stop start-up with one line", () => {
  const dir = mkdtempSync(join(tmpdir(), "cmux-sec-"));
  const shortFile = join(dir, "short");
  writeFileSync(shortFile, "0123\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ["a bad port list", ["--allow-ports", "3000-x"], {}, 'invalid --allow-ports item "3000-x"'],
    ["a reversed range in the variable", [], { CMUX_DENY_PORTS: "9-1" }, 'invalid CMUX_DENY_PORTS range "9-1"'],
    ["a short token", ["--auth-token", "tiny-secret"], {}, "invalid --auth-token: use at least 16 characters"],
    ["a short token in a file", ["--auth-token-file", shortFile], {}, `invalid token in --auth-token-file "${shortFile}"`],
    ["a missing token file", ["--auth-token-file", join(dir, "nope")], {}, "ENOENT"],
    ["both token flags", ["--auth-token", TOKEN, "--auth-token-file", shortFile], {}, "give --auth-token or --auth-token-file, not both"],
    ["--auth-loopback alone", ["--auth-loopback"], {}, "--auth-loopback needs a token"],
  ] as [string, string[], Record<string, string>, string][])("%s", async (_, args, env, needle) => {
    const r = await runCli(["--listen", "127.0.0.1:0", ...args], env);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(needle);
    expect(r.out.trim().split("\n")).toHaveLength(1);
    expect(r.out).not.toContain("tiny-secret");
    expect(r.out).not.toContain("0123\n");
  });
});

/** Runs a command line to completion, bounded in time. */
async function run(cmd: string[], timeoutMs = 10_000) {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const unavailable = netnsUnavailable();
describe.skipIf(unavailable !== null)(`the start-up warning and the refusal log, on a non-loopback address${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let ns: NetNs;
  let up: ReturnType<typeof rawUpstream>;
  const dir = mkdtempSync(join(tmpdir(), "cmux-sec-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${TOKEN}\n`);

  beforeAll(() => {
    ns = createNetNs();
    up = rawUpstream((c) => {
      if (c.received.includes("\r\n\r\n")) c.socket.end(okResponse("up", ["Connection: close"]));
    });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    up?.stop();
    ns?.destroy();
  });

  // JSON lines all go to stderr in order, and the warning comes before the listening line: once that
  // line is in, a missing warning is missing for good.
  test.each([
    ["a non-loopback address, no policy: warned", () => ["--listen", `${HOST_ADDR}:0`], {}, true],
    ["the same with a port policy: quiet", () => ["--listen", `${HOST_ADDR}:0`, "--allow-ports", "3000-9999"], {}, false],
    ["the same with a token from the environment: quiet", () => ["--listen", `${HOST_ADDR}:0`], { CMUX_AUTH_TOKEN: TOKEN }, false],
    ["the same with --workspace-only: quiet", () => ["--listen", `${HOST_ADDR}:0`, "--workspace-only"], {}, false],
    ["the same with a token file: quiet", () => ["--listen", `${HOST_ADDR}:0`, "--auth-token-file", tokenFile], {}, false],
    ["loopback only, no policy: quiet", () => ["--listen", "127.0.0.1:0,[::1]:0"], {}, false],
  ] as [string, () => string[], Record<string, string>, boolean][])("%s", async (_, args, env, warned) => {
    const p = await spawnProxy(["--log-json", ...args()], env);
    try {
      const out = p.output();
      const listening = out.indexOf("listening on");
      const warning = out.indexOf(WARNING);
      if (warned) {
        expect(warning).toBeGreaterThan(-1);
        expect(warning).toBeLessThan(listening);
        expect(out).toContain(`"level":"warn","msg":"${HOST_ADDR}:${p.ports[0]} ${WARNING}`);
      } else {
        expect(warning).toBe(-1);
      }
    } finally {
      await p.stop();
    }
  });

  test("with --workers the warning is said once, not per worker", async () => {
    const probe = Bun.listen({ hostname: HOST_ADDR, port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const p = await spawnProxy(["--log-json", "--workers", "2", "--listen", `${HOST_ADDR}:${port}`]);
    try {
      expect(await waitFor(() => p.output().split("listening on").length - 1 === 2, 10_000)).toBe(true);
      expect(p.output().split(WARNING).length - 1).toBe(1);
    } finally {
      // SIGTERM reaches the workers through the supervisor; SIGKILL would leave them behind.
      p.proc.kill("SIGTERM");
      const exited = await Promise.race([p.proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      await p.stop();
      expect(exited).toBe(true);
    }
  });

  test("the default text log shows the warning too", async () => {
    const p = await spawnProxy(["--listen", `${HOST_ADDR}:0`]);
    try {
      expect(await p.waitOutput(WARNING)).toBe(true);
      expect(p.output()).toContain("--allow-ports, --deny-ports, --workspace-only or --auth-token");
    } finally {
      await p.stop();
    }
  });

  test("refusals are logged with the peer address, a few a second, never the token", async () => {
    const p = await spawnProxy(["--listen", `${HOST_ADDR}:0`, "--auth-token", TOKEN]);
    try {
      const url = `http://${HOST_ADDR}:${p.ports[0]}/`;
      const wrong = "wrong-token-0123456789abc";
      const burst = 40;
      const started = Date.now();
      // One curl, 40 requests in a row, each refused (the proxy closes after a 401).
      const args = ["curl", "-s", "-w", "%{http_code}\n", "-H", `X-Cmux-Port-Internal: ${up.port}`, "-H", `X-Cmux-Token: ${wrong}`];
      const urls = (n: number) => Array.from({ length: n }, () => ["-o", "/dev/null", url]).flat();
      const r = await run(ns.exec([...args, ...urls(burst)]), 20_000);
      const elapsed = Date.now() - started;
      expect(r.stdout.trim().split("\n")).toEqual(new Array(burst).fill("401"));
      expect(up.conns.length).toBe(0);
      const logged = () => p.output().split("\n").filter((l) => l.includes("401 wrong token in X-Cmux-Token"));
      expect(await waitFor(() => logged().length > 0, 5000)).toBe(true);
      // 5 a second: the burst spans at most elapsed/1000 + 1 windows.
      expect(logged().length).toBeLessThanOrEqual(5 * (Math.floor(elapsed / 1000) + 1));
      expect(logged().length).toBeLessThan(burst);
      for (const line of logged()) expect(line).toContain(`${NS_ADDR} -> `);
      // The limiter's window is a second of wall time: once it has passed since the last refusal,
      // the next one is logged and reports what its window dropped.
      await Bun.sleep(1050);
      const before = logged().length;
      const again = await run(ns.exec([...args, ...urls(1)]));
      expect(again.stdout.trim()).toBe("401");
      expect(await waitFor(() => logged().length === before + 1, 5000)).toBe(true);
      // Every refusal is accounted for: logged, or counted in a later line's note.
      const dropped = logged().reduce((n, l) => n + Number(/\((\d+) similar lines? suppressed\)/.exec(l)?.[1] ?? 0), 0);
      expect(logged().length + dropped).toBe(burst + 1);
      expect(p.output()).not.toContain(wrong);
      expect(p.output()).not.toContain(TOKEN);
    } finally {
      await p.stop();
    }
  });
});
