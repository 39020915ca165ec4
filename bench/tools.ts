// What the bench needs from the machine: nginx with its stream module, wrk, taskset, two cores and
// enough file descriptors. Missing Debian packages are installed with apt-get, as the issue asks.
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import type { Settings } from "./settings";

function has(cmd: string): boolean {
  return Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;
}

function streamModulePresent(): boolean {
  if (!has("nginx")) return false;
  const v = Bun.spawnSync(["nginx", "-V"]);
  const text = v.stderr.toString();
  if (/--with-stream(\s|$)/.test(text)) return true; // built in
  const dir = /--modules-path=(\S+)/.exec(text)?.[1] ?? "/usr/lib/nginx/modules";
  return existsSync(`${dir}/ngx_stream_module.so`);
}

function aptInstall(packages: string[]) {
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${packages.join(", ")}: install them (apt-get install -y ${packages.join(" ")}) or run as root`);
  }
  console.log(`installing ${packages.join(" ")} with apt-get ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => Bun.spawnSync(["apt-get", "install", "-y", "-q", ...packages], { env, stdout: "inherit", stderr: "inherit" });
  if (install().exitCode === 0) return;
  Bun.spawnSync(["apt-get", "update", "-q"], { env, stdout: "inherit", stderr: "inherit" });
  if (install().exitCode !== 0) throw new Error(`apt-get install ${packages.join(" ")} failed`);
}

export function ensureTools(settings: Settings) {
  if (settings.nice < 0 && process.getuid?.() !== 0) throw new Error(`BENCH_NICE=${settings.nice} needs root`);
  if (!has("taskset")) throw new Error("taskset (util-linux) is required to pin processes to cores");
  const missing: string[] = [];
  if (!has("nginx")) missing.push("nginx");
  if (!has("wrk")) missing.push("wrk");
  if (!streamModulePresent()) missing.push("libnginx-mod-stream");
  if (missing.length > 0) aptInstall(missing);

  const n = cpus().length;
  for (const [name, cpu] of [["BENCH_PROXY_CPU", settings.proxyCpu], ["BENCH_LOAD_CPU", settings.loadCpu]] as const) {
    if (cpu >= n) throw new Error(`${name}=${cpu} but this machine has ${n} CPU(s)`);
  }
  if (settings.proxyCpu === settings.loadCpu) {
    console.warn(`warning: proxies and load share CPU ${settings.proxyCpu}; numbers will not compare with a 2-core run`);
  }
}

/** File descriptors per process: the idle scenario holds client + upstream sockets for each connection. */
export function neededNofile(settings: Settings): number {
  return Math.max(4096, settings.idleConnections * 3 + 1024);
}

/** Fails with a clear message when the open-file limit cannot be raised far enough for scenario f. */
export function checkNofile(nofile: number) {
  const probe = Bun.spawnSync(["sh", "-c", `ulimit -n ${nofile}`]);
  if (probe.exitCode === 0) return;
  const hard = Bun.spawnSync(["sh", "-c", "ulimit -Hn"]).stdout.toString().trim();
  const cap = process.getuid?.() === 0 ? "the kernel's fs.nr_open caps it even for root" : `the hard limit is ${hard}`;
  throw new Error(
    `cannot raise the open-file limit to ${nofile} (${cap}). Raise the limit (ulimit -Hn as root, ` +
      `limits.conf, fs.nr_open), lower BENCH_IDLE_CONNS, or leave out scenario f with BENCH_ONLY=a,b,c,d,e`,
  );
}

export function versions(): Record<string, string> {
  const first = (cmd: string[]) => {
    const r = Bun.spawnSync(cmd);
    return (r.stderr.toString() + r.stdout.toString()).split("\n")[0]!.trim();
  };
  return { bun: Bun.version, nginx: first(["nginx", "-v"]), wrk: first(["wrk", "-v"]) };
}
