// The FROM-scratch image without a Docker engine: the Dockerfile's runtime stage is checked as
// text, docker/runtime-files against what each binary really links, and the root filesystem that
// docker/assemble-rootfs.sh makes (the script the Dockerfile runs) is run the way a container
// runtime would: chroot, its own mount and PID namespaces with /proc mounted, the image's USER,
// ENV and ENTRYPOINT, the proxy as PID 1. It proxies a request and exits 0 on SIGTERM.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { findTarget, hostTarget, TARGETS } from "../../scripts/targets";
import { spawnProxy } from "../helpers/proxy-process";
import { dockerfileStages, listedFiles, ROOT, runtimeStage } from "./dockerfile";
import { BUILD_TIMEOUT_MS, releaseBuild, type ReleaseBuild } from "./release-build";

const host = hostTarget();
const isRoot = process.getuid?.() === 0;

// Each test moves a ~110 MB binary around; on a loaded 2-core machine that can take longer than
// the 30 s default of `bun run test`.
setDefaultTimeout(60_000);

let build: ReleaseBuild;
let work: string;

beforeAll(async () => {
  build = await releaseBuild();
  work = mkdtempSync(join(tmpdir(), "cmux-proxy-rootfs-test-"));
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => "/" + relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test("Dockerfile: builder compiles TARGETARCH with build.ts; the scratch runtime holds only the assembled root, EXPOSE 8080, ENV CMUX_LISTEN, a non-root USER, ENTRYPOINT", () => {
  const stages = dockerfileStages();
  const all = stages.flat();
  expect(all).toContain(`ARG BUN_VERSION=${pkg.packageManager.replace(/^bun@/, "")}`);
  expect(all).toContain('RUN bun scripts/build.ts --target "$TARGETARCH" --binaries-only --outdir /out');
  for (const t of TARGETS) expect(findTarget(t.dockerArch)).toBe(t);
  expect(all).toContain("COPY docker/runtime-files docker/assemble-rootfs.sh /docker/");
  expect(all).toContain('RUN sh /docker/assemble-rootfs.sh "$TARGETARCH" /out/cmux-proxy-linux-* /rootfs');

  const rt = runtimeStage();
  expect(rt.stage).toEqual([
    "FROM scratch",
    "COPY --from=rootfs /rootfs/ /",
    "EXPOSE 8080",
    "ENV CMUX_LISTEN=0.0.0.0:8080",
    `USER ${rt.user}`,
    'HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/usr/local/bin/cmux-proxy", "healthcheck"]',
    `ENTRYPOINT ${JSON.stringify(rt.entrypoint)}`,
  ]);
  expect(rt.healthcheck!.cmd).toEqual([...rt.entrypoint, "healthcheck"]);
  expect(rt.user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
  expect(rt.entrypoint).toEqual(["/usr/local/bin/cmux-proxy"]);
});

test.each(TARGETS)("docker/runtime-files lists exactly the $name binary's loader and NEEDED libraries", (t) => {
  const binary = build.path(`cmux-proxy-${t.name}`);
  const dynamic = Bun.spawnSync(["readelf", "-d", binary]).stdout.toString();
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(Bun.spawnSync(["readelf", "-l", binary]).stdout.toString())?.[1];
  expect(needed.length).toBeGreaterThan(0);
  expect(interp).toBeDefined();

  const listed = listedFiles(t.dockerArch);
  expect(listed).toContain(interp!);
  expect(listed.map((p) => basename(p)).sort()).toEqual([...new Set([...needed, basename(interp!)])].sort());
});

if (!isRoot) console.warn("skipping the chroot test of the image's root filesystem: chroot and unshare need root");

test.skipIf(!isRoot || host === undefined)(
  "the assembled root runs as the image would: USER under chroot, PID 1 with /proc, proxies a request, exits 0 on SIGTERM",
  async () => {
    const rootfs = join(work, "rootfs");
    const assemble = Bun.spawnSync(["sh", join(ROOT, "docker/assemble-rootfs.sh"), host!.dockerArch, build.path(`cmux-proxy-${host!.name}`), rootfs], { stderr: "pipe" });
    expect(assemble.stderr.toString()).toBe("");
    expect(assemble.exitCode).toBe(0);

    const rt = runtimeStage();
    expect(filesUnder(rootfs)).toEqual([...listedFiles(host!.dockerArch), ...rt.entrypoint].sort());

    const upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`upstream saw ${new URL(req.url).pathname}`) });
    // The container runtime's part: a mount point for /proc; the mount itself lives in the private
    // mount namespace and disappears with it.
    mkdirSync(join(rootfs, "proc"));
    // The image's ENV, then `docker run -e` moving the listener to an ephemeral loopback port.
    const env = { ...rt.env, CMUX_LISTEN: "127.0.0.1:0" };
    const cmd = [
      Bun.which("env")!,
      "-i",
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Bun.which("unshare")!,
      "--mount",
      "--pid",
      "--fork",
      "--kill-child",
      `--mount-proc=${join(rootfs, "proc")}`,
      Bun.which("chroot")!,
      `--userspec=${rt.user}`,
      rootfs,
      ...rt.entrypoint,
    ];
    const proxy = await spawnProxy([], {}, cmd);
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.ports[0]}/from-the-image`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } });
      expect(await res.text()).toBe("upstream saw /from-the-image");
      expect(proxy.output()).toContain(`cmux-proxy ${build.version} listening on 127.0.0.1:`);

      // unshare --fork's only child is the proxy (chroot exec'd it).
      const pid = Number(readFileSync(`/proc/${proxy.proc.pid}/task/${proxy.proc.pid}/children`, "utf8").trim());
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const [uid, gid] = rt.user.split(":") as [string, string];
      expect(/^Uid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).toEqual([uid, uid, uid, uid]);
      expect(/^Gid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).toEqual([gid, gid, gid, gid]);
      expect(/^NSpid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).toEqual([String(pid), "1"]);

      process.kill(pid, "SIGTERM");
      const code = await Promise.race([proxy.proc.exited, Bun.sleep(10_000).then(() => "still running")]);
      expect(code).toBe(0);
      expect(await proxy.waitOutput("SIGTERM: no longer accepting")).toBe(true);
    } finally {
      await proxy.stop();
      await upstream.stop(true);
    }
  },
);
