// One release build shared by every shipping test file (bun test runs them in one process):
// - dist/, when dist/.build-inputs matches the sources (CI ran `bun run build` first);
// - else a build kept in $TMPDIR/cmux-proxy-release-<digest>, made once per state of the sources
//   and reused by later runs; every run removes the builds of older states.
// The tests never write dist/, so two runs at once cannot rewrite it under each other. (A cache,
// not a temp dir removed at the end: bun test fires no exit hook to remove it in.)

import { readdirSync, renameSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildInputsDigest, STAMP_NAME } from "../../scripts/build-inputs";

const ROOT = new URL("../..", import.meta.url).pathname;
const CACHE_PREFIX = "cmux-proxy-release-";

/** Covers the first cross-compile, which downloads the other arch's Bun runtime from npm. */
export const BUILD_TIMEOUT_MS = 150_000;

export interface ReleaseBuild {
  dir: string;
  version: string;
  path(name: string): string;
}

let pending: Promise<ReleaseBuild> | undefined;

export function releaseBuild(): Promise<ReleaseBuild> {
  pending ??= obtain();
  return pending;
}

async function isFresh(dir: string, digest: string): Promise<boolean> {
  const stamp = Bun.file(join(dir, STAMP_NAME));
  return (await stamp.exists()) && (await stamp.text()).trim() === digest;
}

/** Removes the cached builds other than `keep` (builds of older sources). */
function dropCaches(keep: string): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(CACHE_PREFIX) && n !== keep)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}

async function obtain(): Promise<ReleaseBuild> {
  const digest = await buildInputsDigest();
  const make = (dir: string): ReleaseBuild => ({ dir, version: pkg.version, path: (n) => join(dir, n) });
  const cacheName = CACHE_PREFIX + digest.slice(0, 16);
  const cached = join(tmpdir(), cacheName);
  // A build of the current sources may be in use by a concurrent run; only older ones go.
  dropCaches(cacheName);
  const dist = join(ROOT, "dist");
  if (await isFresh(dist, digest)) return make(dist);
  if (await isFresh(cached, digest)) return make(cached);

  const building = await mkdtemp(join(tmpdir(), "cmux-proxy-building-"));
  try {
    const proc = Bun.spawn([process.execPath, join(ROOT, "scripts/build.ts"), "--outdir", building], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), BUILD_TIMEOUT_MS - 5_000);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`bun scripts/build.ts failed (exit ${code}):\n${out}${err}`);
    if (!(await isFresh(cached, digest))) rmSync(cached, { recursive: true, force: true });
    // A concurrent run may have put the same build in place first; either copy will do.
    try {
      renameSync(building, cached);
    } catch {
      if (!(await isFresh(cached, digest))) throw new Error(`could not put the build in ${cached}`);
    }
    return make(cached);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}
