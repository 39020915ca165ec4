// The image in a real OCI runtime: podman with runc (Debian's), no Docker engine. The root
// filesystem docker/assemble-rootfs.sh builds (the script the Dockerfile runs) is `podman import`ed
// with the Dockerfile's ENTRYPOINT, USER and ENV; its HEALTHCHECK is given to `podman run` (podman
// import takes no HEALTHCHECK change). The container proxies a request to a server on the host's
// loopback (host network, as the README's `docker run --network host`), reports healthy through
// `cmux-proxy healthcheck`, and exits 0 on `podman stop`.
//
// Everything podman stores lives in a temporary --root/--runroot removed afterwards. Facts of these
// machines the flags work around: there is no systemd (cgroupfs, file events, and no health-check
// timer: the test runs the check itself), and no CAP_SYS_RESOURCE, so runc may not raise a limit:
// `--ulimit host` asks for RLIMIT_NOFILE 1048576 and fails, so the limits are set below any parent's.

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostTarget } from "../../scripts/targets";
import { freePort } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { ROOT, runtimeStage } from "./dockerfile";
import { BUILD_TIMEOUT_MS, releaseBuild, type ReleaseBuild } from "./release-build";

const host = hostTarget();
const isRoot = process.getuid?.() === 0;
const podmanPath = Bun.which("podman");
const runcPath = Bun.which("runc") ?? Bun.which("runc", { PATH: "/usr/sbin:/sbin" });
const runnable = isRoot && host !== undefined && podmanPath !== null && runcPath !== null;
if (!runnable) console.warn("skipping the podman test: it needs root, podman and runc (apt-get install podman runc)");

setDefaultTimeout(120_000);

let build: ReleaseBuild;
let work: string;

beforeAll(async () => {
  if (!runnable) return;
  build = await releaseBuild();
  work = mkdtempSync(join(tmpdir(), "cmux-proxy-podman-test-"));
}, BUILD_TIMEOUT_MS);

function podmanArgs(): string[] {
  return [
    podmanPath!,
    `--root=${join(work, "storage")}`,
    `--runroot=${join(work, "run")}`,
    `--runtime=${runcPath}`,
    "--cgroup-manager=cgroupfs",
    "--events-backend=file",
    // overlay needs a mount the nested machine may refuse; vfs is plain directories.
    "--storage-driver=vfs",
  ];
}

/** One podman command to completion, bounded in time. */
async function podman(args: string[], stdin?: ReadableStream<Uint8Array>): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([...podmanArgs(), ...args], { stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out: out.trim(), err: err.trim() };
}

afterAll(async () => {
  if (!runnable || work === undefined) return;
  await podman(["rm", "--force", "--all", "--time", "0"]);
  await podman(["rmi", "--force", "--all"]);
  rmSync(work, { recursive: true, force: true });
});

test.skipIf(!runnable)("the image under podman + runc: proxies a request, the health check reports healthy, podman stop exits 0", async () => {
  const rootfs = join(work, "rootfs");
  const assemble = Bun.spawnSync(["sh", join(ROOT, "docker/assemble-rootfs.sh"), host!.dockerArch, build.path(`cmux-proxy-${host!.name}`), rootfs], { stderr: "pipe" });
  expect(assemble.stderr.toString()).toBe("");
  expect(assemble.exitCode).toBe(0);

  const rt = runtimeStage();
  expect(rt.healthcheck).not.toBeNull();
  const changes = [`ENTRYPOINT ${JSON.stringify(rt.entrypoint)}`, `USER ${rt.user}`, ...Object.entries(rt.env).map(([k, v]) => `ENV ${k}=${v}`)];
  const tar = Bun.spawn(["tar", "-C", rootfs, "-c", "."], { stdout: "pipe", stderr: "inherit" });
  const imported = await podman(["import", ...changes.flatMap((c) => ["--change", c]), "-", "localhost/cmux-proxy-test:latest"], tar.stdout);
  expect(await tar.exited).toBe(0);
  expect(imported.err).not.toContain("Error");
  expect(imported.code).toBe(0);
  const config = JSON.parse((await podman(["image", "inspect", "--format", "{{json .Config}}", "localhost/cmux-proxy-test:latest"])).out) as {
    User: string;
    Entrypoint: string[];
    Env: string[];
  };
  expect(config).toMatchObject({ User: rt.user, Entrypoint: rt.entrypoint });
  for (const [k, v] of Object.entries(rt.env)) expect(config.Env).toContain(`${k}=${v}`);

  const upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`upstream saw ${new URL(req.url).pathname}`) });
  const port = freePort();
  const hc = rt.healthcheck!;
  try {
    const run = await podman([
      "run",
      "--detach",
      "--name=cmux-proxy-test",
      "--network=host",
      "--ulimit=nofile=1024:1024",
      "--ulimit=nproc=1024:1024",
      // `docker run -e`: the image's CMUX_LISTEN moved to a free loopback port.
      `--env=CMUX_LISTEN=127.0.0.1:${port}`,
      `--health-cmd=${JSON.stringify(hc.cmd)}`,
      `--health-timeout=${hc.options.timeout}`,
      `--health-retries=${hc.options.retries}`,
      `--health-start-period=${hc.options["start-period"]}`,
      "--health-interval=disable",
      "localhost/cmux-proxy-test:latest",
    ]);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);

    let logs = "";
    const started = await waitFor(() => {
      const r = Bun.spawnSync([...podmanArgs(), "logs", "cmux-proxy-test"]);
      logs = r.stdout.toString() + r.stderr.toString();
      return logs.includes("listening on");
    }, 20_000, 100);
    expect(logs).toContain(`listening on 127.0.0.1:${port}`);
    expect(started).toBe(true);

    const res = await fetch(`http://127.0.0.1:${port}/from-podman`, { headers: { "X-Cmux-Port-Internal": String(upstream.port) } });
    expect(await res.text()).toBe("upstream saw /from-podman");

    // The image's USER, in the container's own PID namespace.
    const pid = Number((await podman(["inspect", "--format", "{{.State.Pid}}", "cmux-proxy-test"])).out);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const [uid] = rt.user.split(":") as [string, string];
    expect(/^Uid:\s+(\S+)/m.exec(status)![1]).toBe(uid);
    expect(/^NSpid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/).at(-1)).toBe("1");

    const check = await podman(["healthcheck", "run", "cmux-proxy-test"]);
    expect(check.out + check.err).not.toContain("unhealthy");
    expect(check.code).toBe(0);
    expect((await podman(["inspect", "--format", "{{.State.Health.Status}}", "cmux-proxy-test"])).out).toBe("healthy");

    const stop = await podman(["stop", "--time=10", "cmux-proxy-test"]);
    expect(stop.code).toBe(0);
    expect((await podman(["inspect", "--format", "{{.State.ExitCode}} {{.State.Status}}", "cmux-proxy-test"])).out).toBe("0 exited");
    const after = await podman(["logs", "cmux-proxy-test"]);
    expect(after.out + after.err).toContain("SIGTERM: no longer accepting");
  } finally {
    await upstream.stop(true);
  }
});
