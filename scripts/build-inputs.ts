// A digest of everything a release build is made from. `bun run build` writes it to
// <outdir>/.build-inputs after a complete build, so the shipping tests can tell a dist/ that still
// matches the sources (reuse it) from a stale one (build privately instead). A dotfile, so release
// upload globs (`dist/*`) never pick it up.

import { Glob } from "bun";

const ROOT = new URL("..", import.meta.url).pathname;

/** Files outside src/ that change what the build produces. */
const FILES = ["package.json", "bun.lock", "tsconfig.json", "LICENSE", "scripts/build.ts", "scripts/build-inputs.ts", "scripts/targets.ts", "scripts/install.sh"];

export const STAMP_NAME = ".build-inputs";

export async function buildInputsDigest(): Promise<string> {
  const src = [...new Glob("src/**/*").scanSync({ cwd: ROOT, onlyFiles: true })].sort();
  const hash = new Bun.CryptoHasher("sha256");
  hash.update(`bun ${Bun.version}\n`);
  for (const rel of [...FILES, ...src]) {
    const file = Bun.file(ROOT + rel);
    hash.update(`${rel}\n`);
    hash.update((await file.exists()) ? await file.bytes() : "(missing)");
  }
  return hash.digest("hex");
}
