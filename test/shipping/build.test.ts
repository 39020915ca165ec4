// The release build (`bun scripts/build.ts`, shared with the other shipping tests): a binary per
// target for the right CPU, tarballs holding exactly the binary and LICENSE, SHA256SUMS that
// `sha256sum --check` accepts for every asset, and the host's binary printing package.json's version.

import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { hostTarget, TARGETS } from "../../scripts/targets";
import { BUILD_TIMEOUT_MS, releaseBuild, type ReleaseBuild } from "./release-build";

// Each test moves a ~110 MB binary around; on a loaded 2-core machine that can take longer than
// the 30 s default of `bun run test`.
setDefaultTimeout(60_000);

let build: ReleaseBuild;

beforeAll(async () => {
  build = await releaseBuild();
  console.log(`shipping tests use the release build in ${build.dir}`);
}, BUILD_TIMEOUT_MS);

function run(cmd: string[], cwd?: string): { code: number; out: string } {
  const p = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  return { code: p.exitCode ?? -1, out: p.stdout.toString() + p.stderr.toString() };
}

test("the release holds exactly the binaries, both tarball names per target, install.sh and SHA256SUMS", () => {
  const expected = [
    "SHA256SUMS",
    "install.sh",
    ...TARGETS.flatMap((t) => [`cmux-proxy-${t.name}`, `cmux-proxy-${t.name}.tar.gz`, `cmux-proxy-${build.version}-${t.name}.tar.gz`]),
  ].sort();
  expect(readdirSync(build.dir).filter((n) => !n.startsWith(".")).sort()).toEqual(expected);
  expect(readFileSync(build.path("install.sh"), "utf8")).toBe(readFileSync(new URL("../../scripts/install.sh", import.meta.url).pathname, "utf8"));
});

test.each(TARGETS)("$name: an executable ELF for its CPU", async (t) => {
  const path = build.path(`cmux-proxy-${t.name}`);
  const head = new Uint8Array(await Bun.file(path).slice(0, 20).arrayBuffer());
  expect([...head.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  expect(head[18]! | (head[19]! << 8)).toBe(t.elfMachine);
  expect(statSync(path).mode & 0o777).toBe(0o755);
});

test.each(TARGETS)("$name: both tarballs are the same bytes and hold only cmux-proxy (0755, root) and LICENSE", (t) => {
  const versioned = build.path(`cmux-proxy-${build.version}-${t.name}.tar.gz`);
  const listing = run(["tar", "-tvzf", versioned]);
  expect(listing.code).toBe(0);
  const entries = listing.out.trim().split("\n").map((l) => l.split(/\s+/));
  expect(entries.map((e) => [e[0], e[1], e.at(-1)])).toEqual([
    ["-rwxr-xr-x", "0/0", "cmux-proxy"],
    ["-rw-r--r--", "0/0", "LICENSE"],
  ]);
  const sums = run(["sha256sum", versioned, build.path(`cmux-proxy-${t.name}.tar.gz`)]).out.split("\n").map((l) => l.split(" ")[0]);
  expect(sums[0]).toBe(sums[1]!);
  const packed = run(["sh", "-c", `tar -xzOf "$0" cmux-proxy | sha256sum`, versioned]).out.split(" ")[0];
  const binary = run(["sha256sum", build.path(`cmux-proxy-${t.name}`)]).out.split(" ")[0];
  expect(packed).toBe(binary!);
});

test("SHA256SUMS covers every asset and sha256sum --check accepts it", () => {
  const listed = Bun.spawnSync(["cat", build.path("SHA256SUMS")]).stdout.toString().trim().split("\n").map((l) => l.split("  ")[1]);
  expect(listed.sort()).toEqual(readdirSync(build.dir).filter((n) => !n.startsWith(".") && n !== "SHA256SUMS").sort());
  const check = run(["sha256sum", "--check", "--strict", "SHA256SUMS"], build.dir);
  expect(check.out).not.toContain("FAILED");
  expect(check.code).toBe(0);
});

test.skipIf(hostTarget() === undefined)("the host's binary prints package.json's version", () => {
  const r = run([build.path(`cmux-proxy-${hostTarget()!.name}`), "--version"]);
  expect(r).toEqual({ code: 0, out: `${build.version}\n` });
});
