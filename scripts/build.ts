#!/usr/bin/env bun
// `bun run build`: compiles src/cli.ts into one self-contained binary per release target and packs
// the release assets into dist/: the binaries, `cmux-proxy-<version>-<target>.tar.gz` plus an
// unversioned copy (stable names for `releases/latest/download/`), install.sh and SHA256SUMS.
//
//   --target NAME    only this target (repeatable): linux-x64, linux-arm64 or an alias (amd64, aarch64, ...)
//   --binaries-only  compile, skip the tarballs and sums (the Dockerfile's builder)
//   --outdir DIR     instead of dist/ (the tests build here when dist/ is stale)
//
// Cross-compiling works from any host: Bun fetches the other target's runtime from the npm registry.

import { $ } from "bun";
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { buildInputsDigest, STAMP_NAME } from "./build-inputs";
import { findTarget, hostTarget, TARGETS, type Target } from "./targets";

const ROOT = resolve(import.meta.dir, "..");

// --bytecode reaches the listening line ~45% sooner (median 14 ms vs 25 ms) but needs ESM output; without
// --format=esm Bun 1.4.4 reports "Failed to generate bytecode", still exits 0, and the binary dies
// at start. Autoloading .env/bunfig.toml from the working directory is off: the binary is
// configured by its flags and CMUX_* variables only, wherever it is started.
const COMPILE_FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];

function fail(msg: string): never {
  process.stderr.write(`build: ${msg}\n`);
  process.exit(1);
}

async function compile(target: Target, outfile: string): Promise<void> {
  const args = [process.execPath, "build", ...COMPILE_FLAGS, `--target=${target.bunTarget}`, "--outfile", outfile, join(ROOT, "src/cli.ts")];
  const proc = Bun.spawn(args, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 || /error:/i.test(out + err)) fail(`compiling ${target.name} failed:\n${out}${err}`);
  // The only target this machine can run proves the binary starts and carries the right version.
  if (target === hostTarget()) {
    const run = Bun.spawnSync([outfile, "--version"], { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    const printed = run.stdout.toString().trim();
    if (printed !== pkg.version) fail(`${outfile} --version printed "${printed}" (expected ${pkg.version}): ${run.stderr.toString()}`);
  }
}

/** SOURCE_DATE_EPOCH, else the last commit's time: the archive says when the source is from, not
 *  when it was packed. (The archives are still not byte-identical across builds: Bun 1.4.4's
 *  compiled binaries differ in a few bytes from one compile to the next.) */
async function archiveMtime(): Promise<string> {
  if (process.env.SOURCE_DATE_EPOCH) return process.env.SOURCE_DATE_EPOCH;
  const git = await $`git -C ${ROOT} log -1 --format=%ct`.quiet().nothrow();
  return git.exitCode === 0 ? git.stdout.toString().trim() : String(Math.floor(Date.now() / 1000));
}

/** `cmux-proxy` and LICENSE at the top level, root-owned, fixed mtime, gzip without a name/time. */
async function archive(binary: string, tarball: string, mtime: string): Promise<void> {
  const stage = await mkdtemp(join(tmpdir(), "cmux-proxy-pack-"));
  try {
    await copyFile(binary, join(stage, "cmux-proxy"));
    await copyFile(join(ROOT, "LICENSE"), join(stage, "LICENSE"));
    await chmod(join(stage, "cmux-proxy"), 0o755);
    await chmod(join(stage, "LICENSE"), 0o644);
    await $`tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@${mtime} -C ${stage} -cf - cmux-proxy LICENSE | gzip -n -6 > ${tarball}`;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function sha256(path: string): Promise<string> {
  const hash = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest("hex");
}

async function writeSums(outdir: string): Promise<void> {
  const names = (await readdir(outdir)).filter((n) => !n.startsWith(".") && n !== "SHA256SUMS").sort();
  const lines = await Promise.all(names.map(async (n) => `${await sha256(join(outdir, n))}  ${n}\n`));
  await Bun.write(join(outdir, "SHA256SUMS"), lines.join(""));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: "string", multiple: true },
      "binaries-only": { type: "boolean", default: false },
      outdir: { type: "string", default: join(ROOT, "dist") },
    },
  });
  const targets = (values.target ?? TARGETS.map((t) => t.name)).map(
    (n) => findTarget(n) ?? fail(`unknown target "${n}" (expected ${TARGETS.map((t) => [t.name, t.dockerArch, ...t.uname].join("/")).join(" or ")})`),
  );
  const outdir = resolve(values.outdir);
  const started = performance.now();

  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  for (const t of targets) await compile(t, join(outdir, `cmux-proxy-${t.name}`));

  if (!values["binaries-only"]) {
    const mtime = await archiveMtime();
    await Promise.all(
      targets.map(async (t) => {
        const versioned = join(outdir, `cmux-proxy-${pkg.version}-${t.name}.tar.gz`);
        await archive(join(outdir, `cmux-proxy-${t.name}`), versioned, mtime);
        await copyFile(versioned, join(outdir, `cmux-proxy-${t.name}.tar.gz`));
      }),
    );
    await copyFile(join(ROOT, "scripts/install.sh"), join(outdir, "install.sh"));
    await chmod(join(outdir, "install.sh"), 0o755);
    await writeSums(outdir);
    // Only a complete build may be reused in place of building again.
    if (targets.length === TARGETS.length) await Bun.write(join(outdir, STAMP_NAME), `${await buildInputsDigest()}\n`);
  }

  for (const name of (await readdir(outdir)).filter((n) => !n.startsWith(".")).sort()) {
    const mib = Bun.file(join(outdir, name)).size / 2 ** 20;
    console.log(`${mib.toFixed(1).padStart(7)} MiB  ${join(outdir, name)}`);
  }
  console.log(`built cmux-proxy ${pkg.version} (${targets.map((t) => t.name).join(", ")}) in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

await main();
