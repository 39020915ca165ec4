// The release targets: their names in file names, the Bun runtime each is compiled against, and
// the arch names other tools use for them. scripts/install.sh maps `uname -m` to these names by
// the same names (test/shipping/install.test.ts checks every one of them against it).

export interface Target {
  /** In file names: dist/cmux-proxy-<name>, cmux-proxy-<version>-<name>.tar.gz. */
  name: "linux-x64" | "linux-arm64";
  /** `bun build --compile --target=`. x64 uses the baseline runtime so no AVX2 is required
   *  (start-up measured the same as the default x64 runtime). */
  bunTarget: string;
  /** `process.arch` of a machine that runs it natively. */
  nodeArch: string;
  /** Docker's TARGETARCH. */
  dockerArch: string;
  /** What `uname -m` prints on it (install.sh's case arms). */
  uname: string[];
  /** ELF e_machine of the binary. */
  elfMachine: number;
}

export const TARGETS: Target[] = [
  {
    name: "linux-x64",
    bunTarget: "bun-linux-x64-baseline",
    nodeArch: "x64",
    dockerArch: "amd64",
    uname: ["x86_64", "amd64"],
    elfMachine: 0x3e,
  },
  {
    name: "linux-arm64",
    bunTarget: "bun-linux-arm64",
    nodeArch: "arm64",
    dockerArch: "arm64",
    uname: ["aarch64", "arm64"],
    elfMachine: 0xb7,
  },
];

/** The target called `name` by any of the names above. */
export function findTarget(name: string): Target | undefined {
  return TARGETS.find((t) => [t.name, t.nodeArch, t.dockerArch, ...t.uname].includes(name));
}

/** The target this machine runs natively, if it is one we release. */
export function hostTarget(): Target | undefined {
  return process.platform === "linux" ? TARGETS.find((t) => t.nodeArch === process.arch) : undefined;
}
