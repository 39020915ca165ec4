// One release build shared by every shipping test file (bun test runs them in one process). It is
// dist/ when dist/.build-inputs matches the sources (CI ran `bun run build` first), else a private
// build in a temp dir, so two test runs never rewrite dist/ under each other.

import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildInputsDigest, STAMP_NAME } from "../../scripts/build-inputs";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Covers the first cross-compile, which downloads the other arch's Bun runtime from npm. */
export const BUILD_TIMEOUT_MS = 150_000;

export interface ReleaseBuild {
  dir: string;
  version: string;
  /** How it was obtained, for the test log. */
  origin: "dist/ (up to date)" | "private build";
  path(name: string): string;
}

let pending: Promise<ReleaseBuild> | undefined;

export function releaseBuild(): Promise<ReleaseBuild> {
  pending ??= obtain();
  return pending;
}

async function obtain(): Promise<ReleaseBuild> {
  const make = (dir: string, origin: ReleaseBuild["origin"]): ReleaseBuild => ({ dir, version: pkg.version, origin, path: (n) => join(dir, n) });
  const dist = join(ROOT, "dist");
  const stamp = Bun.file(join(dist, STAMP_NAME));
  if ((await stamp.exists()) && (await stamp.text()).trim() === (await buildInputsDigest())) return make(dist, "dist/ (up to date)");

  const dir = await mkdtemp(join(tmpdir(), "cmux-proxy-release-"));
  // The build is shared by several files, so no single afterAll owns it; exit does.
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const proc = Bun.spawn([process.execPath, join(ROOT, "scripts/build.ts"), "--outdir", dir], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), BUILD_TIMEOUT_MS - 5_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`bun scripts/build.ts failed (exit ${code}):\n${out}${err}`);
  return make(dir, "private build");
}
