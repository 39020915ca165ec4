// scripts/install.sh end to end against a loopback server laid out like GitHub releases: the
// one-liner, version pins, curl or wget, every `uname -m` name, a corrupted tarball, an unknown
// arch or version, and sudo used only for a bin dir the user cannot write.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTarget, TARGETS } from "../../scripts/targets";
import { spawnProxy } from "../helpers/proxy-process";
import { BUILD_TIMEOUT_MS, releaseBuild, type ReleaseBuild } from "./release-build";
import { startReleaseServer, type ReleaseServer } from "./release-server";
import { fakeUname, toolPath, type ToolPath } from "./tool-path";

const INSTALL_SH = new URL("../../scripts/install.sh", import.meta.url).pathname;
const NOBODY = 65534;
const host = hostTarget();

// Each test moves a ~110 MB binary around; on a loaded 2-core machine that can take longer than
// the 30 s default of `bun run test`.
setDefaultTimeout(60_000);

let build: ReleaseBuild;
let server: ReleaseServer;
let upstream: ReturnType<typeof Bun.serve>;
let work: string;
const paths: ToolPath[] = [];

beforeAll(async () => {
  build = await releaseBuild();
  server = startReleaseServer(build);
  upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`upstream saw ${req.method} ${new URL(req.url).pathname}`) });
  work = mkdtempSync(join(tmpdir(), "cmux-proxy-install-test-"));
  chmodSync(work, 0o755);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await upstream?.stop(true);
  for (const p of paths) p.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

function pathOf(opts: Parameters<typeof toolPath>[0] = {}): string {
  const p = toolPath(opts);
  paths.push(p);
  return p.dir;
}

/** A fresh directory under the test's work dir (its temp dir for install.sh, its bin dir, ...). */
function freshDir(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

interface Run {
  code: number;
  err: string;
  /** Paths the release server was asked for during this run. */
  fetched: string[];
}

/** Runs install.sh (or `shell`, a sh -c script) with only the given environment, bounded in time. */
async function install(env: Record<string, string>, opts: { path?: string; shell?: string; uid?: number } = {}): Promise<Run> {
  const before = server.requests.length;
  const script = opts.shell === undefined ? ["/bin/sh", INSTALL_SH] : ["/bin/sh", "-c", opts.shell];
  const asUser = opts.uid === undefined ? [] : ["setpriv", `--reuid=${opts.uid}`, `--regid=${opts.uid}`, "--clear-groups"];
  const proc = Bun.spawn([...asUser, ...script], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: opts.path ?? pathOf(), HOME: work, TMPDIR: freshDir("tmp"), CMUX_PROXY_DOWNLOAD_BASE: server.base, ...env },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, err: out + err, fetched: server.requests.slice(before) };
}

function versionOf(binary: string): string {
  return Bun.spawnSync([binary, "--version"], { timeout: 10_000 }).stdout.toString().trim();
}

test.skipIf(host === undefined)(
  "the one-liner (curl … | sh) installs the latest release; the binary runs and proxies a request",
  async () => {
    const bin = join(work, "oneliner", "bin");
    const r = await install({ CMUX_PROXY_BIN_DIR: bin }, { shell: 'curl -fsSL "$CMUX_PROXY_DOWNLOAD_BASE/latest/download/install.sh" | sh' });
    expect(r.err).toContain(`installed cmux-proxy ${build.version} (${host!.name}) to ${bin}/cmux-proxy`);
    expect(r.code).toBe(0);
    expect(r.fetched).toEqual(["/latest/download/install.sh", `/latest/download/cmux-proxy-${host!.name}.tar.gz`, "/latest/download/SHA256SUMS"]);
    expect(readdirSync(bin)).toEqual(["cmux-proxy"]);
    expect(readdirSync(join(work, "tmp"))).toEqual([]);
    expect(versionOf(join(bin, "cmux-proxy"))).toBe(build.version);

    const proxy = await spawnProxy(["--listen", "127.0.0.1:0"], {}, [join(bin, "cmux-proxy")]);
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.ports[0]}/hello`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("upstream saw GET /hello");
    } finally {
      await proxy.stop();
    }
  },
);

test.skipIf(host === undefined)("CMUX_PROXY_VERSION=v<version> downloads the versioned tarball from download/v<version>/", async () => {
  const bin = join(work, "pinned-v");
  const r = await install({ CMUX_PROXY_BIN_DIR: bin, CMUX_PROXY_VERSION: `v${build.version}` });
  expect(r.code).toBe(0);
  const dir = `/download/v${build.version}`;
  expect(r.fetched).toEqual([`${dir}/cmux-proxy-${build.version}-${host!.name}.tar.gz`, `${dir}/SHA256SUMS`]);
  expect(versionOf(join(bin, "cmux-proxy"))).toBe(build.version);
});

test.skipIf(host === undefined)("wget alone is enough (no curl on PATH); the version may omit the v", async () => {
  const bin = join(work, "wget");
  const r = await install({ CMUX_PROXY_BIN_DIR: bin, CMUX_PROXY_VERSION: build.version }, { path: pathOf({ without: ["curl"] }) });
  expect(r.err).toContain(`installed cmux-proxy ${build.version}`);
  expect(r.code).toBe(0);
  expect(r.fetched).toEqual([`/download/v${build.version}/cmux-proxy-${build.version}-${host!.name}.tar.gz`, `/download/v${build.version}/SHA256SUMS`]);
  expect(versionOf(join(bin, "cmux-proxy"))).toBe(build.version);
});

test.skipIf(host === undefined)("a corrupted tarball is refused with a checksum message and the installed binary is left alone", async () => {
  const bin = freshDir("corrupt");
  writeFileSync(join(bin, "cmux-proxy"), "the previous install\n", { mode: 0o755 });
  server.corrupt.add(`cmux-proxy-${host!.name}.tar.gz`);
  try {
    const r = await install({ CMUX_PROXY_BIN_DIR: bin });
    expect(r.err).toMatch(
      new RegExp(`error: checksum mismatch for cmux-proxy-${host!.name}\\.tar\\.gz: SHA256SUMS says [0-9a-f]{64}, the download is [0-9a-f]{64}; refusing to install`),
    );
    expect(r.code).toBe(1);
  } finally {
    server.corrupt.clear();
  }
  expect(readdirSync(bin)).toEqual(["cmux-proxy"]);
  expect(readFileSync(join(bin, "cmux-proxy"), "utf8")).toBe("the previous install\n");
  expect(readdirSync(join(work, "tmp"))).toEqual([]);
});

test("an unknown architecture fails with a message naming it, before downloading anything", async () => {
  const bin = join(work, "riscv");
  const r = await install({ CMUX_PROXY_BIN_DIR: bin }, { path: pathOf({ fakes: { uname: fakeUname("riscv64") } }) });
  expect(r.err).toContain("error: unsupported architecture 'riscv64' (uname -m): release binaries exist for x86_64/amd64 and aarch64/arm64");
  expect(r.code).toBe(1);
  expect(r.fetched).toEqual([]);
  expect(existsSync(bin)).toBe(false);
});

test.skipIf(host === undefined)("a version that was never released fails naming the URL it tried", async () => {
  const r = await install({ CMUX_PROXY_BIN_DIR: join(work, "missing"), CMUX_PROXY_VERSION: "9.9.9" });
  expect(r.err).toContain(`error: download failed: ${server.base}/download/v9.9.9/cmux-proxy-9.9.9-${host!.name}.tar.gz`);
  expect(r.code).toBe(1);
});

// Each `uname -m` spelling downloads its target. Only the host's target can run here; install.sh
// refuses the other one rather than install a binary that cannot start.
test.each(TARGETS.flatMap((t) => t.uname.map((machine) => ({ machine, target: t }))))("uname -m $machine selects $target.name", async ({ machine, target }) => {
  const bin = join(work, `arch-${machine}`);
  const r = await install({ CMUX_PROXY_BIN_DIR: bin }, { path: pathOf({ fakes: { uname: fakeUname(machine) } }) });
  expect(r.fetched).toContain(`/latest/download/cmux-proxy-${target.name}.tar.gz`);
  if (target === host) {
    expect(r.code).toBe(0);
    expect(versionOf(join(bin, "cmux-proxy"))).toBe(build.version);
  } else if (r.code === 0) {
    // Only where an emulator runs foreign binaries.
    const head = readFileSync(join(bin, "cmux-proxy")).subarray(18, 20);
    expect(head[0]! | (head[1]! << 8)).toBe(target.elfMachine);
  } else {
    expect(r.err).toContain(`error: the ${target.name} binary does not run on this system`);
    expect(readdirSync(bin)).toEqual([]);
  }
});

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("skipping the sudo test: it runs install.sh as another user (setpriv), which needs root");

test.skipIf(!isRoot || host === undefined)("sudo only for a bin dir this user cannot write; without sudo a clear error", async () => {
  const sudoLog = join(freshDir("sudo"), "calls");
  writeFileSync(sudoLog, "");
  chownSync(sudoLog, NOBODY, NOBODY);
  const recordingSudo = `echo "sudo $*" >> ${sudoLog}; exit 1`;
  const tmp = freshDir("tmp");
  chownSync(tmp, NOBODY, NOBODY);

  // A dir the user owns: no sudo.
  const own = freshDir("nobody-owns");
  chownSync(own, NOBODY, NOBODY);
  const ok = await install({ CMUX_PROXY_BIN_DIR: own }, { uid: NOBODY, path: pathOf({ fakes: { sudo: recordingSudo } }) });
  expect(ok.err).toContain(`installed cmux-proxy ${build.version}`);
  expect(ok.code).toBe(0);
  expect(readFileSync(sudoLog, "utf8")).toBe("");

  // root's dir and no sudo: refused before downloading, saying what to do.
  const rootOwned = join(freshDir("root-owns"), "bin");
  const noSudo = await install({ CMUX_PROXY_BIN_DIR: rootOwned }, { uid: NOBODY, path: pathOf({ without: ["sudo"] }) });
  expect(noSudo.err).toContain(`error: ${rootOwned} is not writable by this user and sudo is not available; run as root or set CMUX_PROXY_BIN_DIR`);
  expect(noSudo.code).toBe(1);
  expect(noSudo.fetched).toEqual([]);

  // root's dir with sudo: sudo creates it (the recording sudo then fails, ending the run).
  const viaSudo = await install({ CMUX_PROXY_BIN_DIR: rootOwned }, { uid: NOBODY, path: pathOf({ fakes: { sudo: recordingSudo } }) });
  expect(viaSudo.err).toContain(`${rootOwned} is not writable by this user; using sudo`);
  expect(viaSudo.code).not.toBe(0);
  expect(readFileSync(sudoLog, "utf8")).toBe(`sudo mkdir -p ${rootOwned}\n`);
  expect(existsSync(rootOwned)).toBe(false);
});
