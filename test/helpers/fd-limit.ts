// Runs the proxy CLI under a given open-file limit (soft and hard), for spawnProxy's `cmd`. A limit
// above the caller's hard limit is capped to it (raising it needs CAP_SYS_RESOURCE).

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

export function cliWithFdLimit(nofile: number): string[] {
  const script = `n=${nofile}; h=$(ulimit -Hn); if [ "$h" != unlimited ] && [ "$h" -lt "$n" ]; then n=$h; fi; ulimit -n "$n" && exec bun "$0" "$@"`;
  return ["bash", "-c", script, CLI];
}
