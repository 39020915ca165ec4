// Finds the compiled cmux-proxy the bench measures: BENCH_CMUX_BIN, else the release build in dist/
// when it is newer than every source file, else a fresh `bun build --compile` of src/cli.ts into the
// bench's temp dir (a stale dist/ binary would measure old code).
import { copyFileSync, existsSync, readdirSync, statSync } from "node:fs";

function newestSource(repoRoot: string): number {
  const files = readdirSync(`${repoRoot}/src`, { recursive: true, encoding: "utf8" }).map((f) => `${repoRoot}/src/${f}`);
  return Math.max(...[...files, `${repoRoot}/package.json`, `${repoRoot}/bun.lock`].map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
}

export function cmuxBinary(repoRoot: string, tmp: string, override: string | undefined): { path: string; how: string } {
  if (override) {
    if (!existsSync(override)) throw new Error(`BENCH_CMUX_BIN=${override} does not exist`);
    return { path: override, how: "BENCH_CMUX_BIN" };
  }
  const dist = `${repoRoot}/dist/cmux-proxy-linux-x64`;
  if (process.arch === "x64" && existsSync(dist) && statSync(dist).mtimeMs >= newestSource(repoRoot)) {
    // A copy, because scenario f restarts the proxy and a rebuild may replace dist/ meanwhile.
    copyFileSync(dist, `${tmp}/cmux-proxy`);
    return { path: `${tmp}/cmux-proxy`, how: "a copy of dist/cmux-proxy-linux-x64" };
  }
  const entry = `${repoRoot}/src/cli.ts`;
  if (!existsSync(entry)) {
    throw new Error(`cannot build cmux-proxy: ${entry} does not exist (leave it out with BENCH_SYSTEMS=direct,nginx-router,nginx-var,nginx-stream,bun-pipe)`);
  }
  const out = `${tmp}/cmux-proxy`;
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", entry, "--outfile", out], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) {
    throw new Error(`bun build --compile src/cli.ts failed:\n${build.stderr.toString()}${build.stdout.toString()}`);
  }
  return { path: out, how: "bun build --compile --minify src/cli.ts" };
}
