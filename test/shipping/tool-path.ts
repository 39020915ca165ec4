// A PATH for running install.sh the way a user's machine might look: the system's own commands
// minus the ones a case takes away (curl, sudo), plus fake ones (a `uname` reporting another
// arch, a `sudo` that only records being called). Only the system directories are linked, so the
// developer's own PATH (pyenv shims, cargo, ...) never changes what the script finds.

import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SYSTEM_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

export interface ToolPath {
  dir: string;
  cleanup(): void;
}

/** `fakes` maps a command name to the body of a /bin/sh script that replaces it. */
export function toolPath(opts: { without?: string[]; fakes?: Record<string, string> } = {}): ToolPath {
  const dir = mkdtempSync(join(tmpdir(), "cmux-proxy-path-"));
  chmodSync(dir, 0o755);
  const skip = new Set([...(opts.without ?? []), ...Object.keys(opts.fakes ?? {})]);
  for (const sys of SYSTEM_DIRS) {
    if (!existsSync(sys)) continue;
    for (const name of readdirSync(sys)) {
      if (skip.has(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(sys, name), join(dir, name));
    }
  }
  for (const [name, body] of Object.entries(opts.fakes ?? {})) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A `uname` that reports `machine` for -m and defers to the real one otherwise. */
export function fakeUname(machine: string): string {
  const real = Bun.which("uname", { PATH: SYSTEM_DIRS.join(":") });
  return `if [ "$1" = -m ]; then echo ${machine}; else exec ${real} "$@"; fi`;
}
