// Runs the proxy CLI under a given open-file limit (soft and hard), for spawnProxy's `cmd`. As root
// the limit may also be raised above the caller's.

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

export function cliWithFdLimit(nofile: number): string[] {
  return ["bash", "-c", `ulimit -n ${nofile} && exec bun "$0" "$@"`, CLI];
}
