// A network namespace joined to this one by a veth pair, for peers that are not on loopback: this
// side is 10.251.0.1, the namespace's side 10.251.0.2 (a /30 used for nothing else). `vanish()`
// makes the namespace drop every packet it receives, the way a laptop that went to sleep or a NAT
// entry that expired stops answering. Needs root, `ip` and `nft`.

export const HOST_ADDR = "10.251.0.1";
export const NS_ADDR = "10.251.0.2";

export interface NetNs {
  name: string;
  /** A command line run inside the namespace. */
  exec(cmd: string[]): string[];
  /** From now on the namespace drops everything it receives (its own sends still go out). */
  vanish(): void;
  destroy(): void;
}

function run(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
}

/** Why a namespace cannot be made here, or null when it can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root";
  for (const tool of ["ip", "nft"]) if (Bun.which(tool) === null) return `needs ${tool}`;
  return null;
}

let made = 0;

export function createNetNs(): NetNs {
  // Unique per process and per namespace (interface names have at most 15 characters).
  const id = `${process.pid % 100000}x${made++}`;
  const name = `cmuxt${id}`;
  const hostIf = `vh${id}`;
  const nsIf = `vn${id}`;
  const destroy = () => {
    Bun.spawnSync(["ip", "netns", "del", name], { stderr: "ignore" });
    Bun.spawnSync(["ip", "link", "del", hostIf], { stderr: "ignore" });
  };
  destroy();
  try {
    run(["ip", "netns", "add", name]);
    run(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    run(["ip", "link", "set", nsIf, "netns", name]);
    run(["ip", "addr", "add", `${HOST_ADDR}/30`, "dev", hostIf]);
    run(["ip", "link", "set", hostIf, "up"]);
    run(["ip", "netns", "exec", name, "ip", "addr", "add", `${NS_ADDR}/30`, "dev", nsIf]);
    run(["ip", "netns", "exec", name, "ip", "link", "set", nsIf, "up"]);
    run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  } catch (e) {
    destroy();
    throw e;
  }
  return {
    name,
    exec: (cmd) => ["ip", "netns", "exec", name, ...cmd],
    vanish() {
      run(["ip", "netns", "exec", name, "nft", "add", "table", "inet", "vanish"]);
      run(["ip", "netns", "exec", name, "nft", "add", "chain", "inet", "vanish", "in", "{ type filter hook input priority 0; policy drop; }"]);
    },
    destroy,
  };
}
