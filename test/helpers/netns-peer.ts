// A network namespace joined to the host by a veth pair, for requests from a peer that is not
// loopback: the host side is 10.250.0.1/30, the namespace side 10.250.0.2/30. The traffic stays on
// the machine. Needs root: without it `createNetns` says why, for the test to skip; any other
// problem is an error.

const HOST_ADDR = "10.250.0.1";
const NS_ADDR = "10.250.0.2";
const STEP_TIMEOUT_MS = 10_000;

export interface Netns {
  name: string;
  /** The host side's address: listen here to be reached from inside. */
  hostAddr: string;
  /** The namespace side's address: what the host sees as the peer. */
  nsAddr: string;
  /** Runs a command inside the namespace to completion (bounded in time). */
  exec(cmd: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Removes the veth pair and the namespace; safe to call twice. */
  remove(): void;
}

function ip(args: string[]): { ok: boolean; err: string } {
  const r = Bun.spawnSync(["ip", ...args], { stdout: "ignore", stderr: "pipe", timeout: STEP_TIMEOUT_MS });
  return { ok: r.exitCode === 0, err: r.stderr.toString().trim() };
}

/** The namespace, or (not root) the reason to skip. */
export function createNetns(): Netns | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: "not root: creating a network namespace needs root" };
  if (Bun.which("ip") === null) throw new Error("no `ip` command: install iproute2");
  const inUse = Bun.spawnSync(["ip", "-o", "addr", "show", "to", `${HOST_ADDR}/30`], { timeout: STEP_TIMEOUT_MS }).stdout.toString().trim();
  if (inUse !== "") throw new Error(`${HOST_ADDR}/30 is already in use on this machine (another test's namespace?): ${inUse}`);
  // Names unique per test process; interface names are limited to 15 characters.
  const id = process.pid % 100_000;
  const name = `cmux-sec-${id}`;
  const hostIf = `cxs${id}h`;
  const nsIf = `cxs${id}n`;
  let made = false;
  const remove = () => {
    if (!made) return;
    made = false;
    // Deleting one end deletes the pair; the namespace goes last.
    ip(["link", "del", hostIf]);
    ip(["netns", "del", name]);
  };
  const steps = [
    ["netns", "add", name],
    ["link", "add", hostIf, "type", "veth", "peer", "name", nsIf],
    ["link", "set", nsIf, "netns", name],
    ["addr", "add", `${HOST_ADDR}/30`, "dev", hostIf],
    ["link", "set", hostIf, "up"],
    ["-n", name, "addr", "add", `${NS_ADDR}/30`, "dev", nsIf],
    ["-n", name, "link", "set", nsIf, "up"],
    ["-n", name, "link", "set", "lo", "up"],
  ];
  for (const step of steps) {
    made = true;
    const r = ip(step);
    if (!r.ok) {
      remove();
      throw new Error(`ip ${step.join(" ")} failed: ${r.err}`);
    }
  }
  return {
    name,
    hostAddr: HOST_ADDR,
    nsAddr: NS_ADDR,
    async exec(cmd, timeoutMs = STEP_TIMEOUT_MS) {
      const proc = Bun.spawn(["ip", "netns", "exec", name, ...cmd], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
      const code = await proc.exited;
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
    remove,
  };
}
