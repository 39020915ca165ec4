// Reads what the admin page shows: the kernel's listening sockets, their owners and the workspace
// directory names under the roots. Synchronous and bounded (see net/listeners.ts); one reading is
// reused for a second so that several open pages polling at once cost one scan, not one each.

import { readdirSync } from "node:fs";
import { readListeners, socketOwners, type Listener } from "../net/listeners";
import { indexWorkspaceNames, WORKSPACE_DIR_PREFIX } from "../workspace-names";

export interface Snapshot {
  listeners: Listener[];
  owners: Map<number, { pid: number; command: string }>;
  names: Map<string, string[]>;
  errors: string[];
}

export interface WorkspaceRoots {
  roots: string[];
  /** The roots were given (--workspace-root): one that does not exist is worth saying. */
  explicit: boolean;
}

const REUSE_MS = 1000;

/** `workspace-*` directory names directly under each root (symlinks to directories included). */
export function readWorkspaceDirs({ roots, explicit }: WorkspaceRoots): { names: string[]; errors: string[] } {
  const names: string[] = [];
  const errors: string[] = [];
  for (const root of roots) {
    try {
      for (const e of readdirSync(root, { withFileTypes: true })) {
        if (e.name.startsWith(WORKSPACE_DIR_PREFIX) && (e.isDirectory() || e.isSymbolicLink())) names.push(e.name);
      }
    } catch (e) {
      const code = (e as { code?: string }).code ?? String(e);
      if (code === "ENOENT" && !explicit) continue;
      errors.push(`cannot read workspace root ${root} (${code}): workspaces named there show as workspace-N`);
    }
  }
  return { names, errors };
}

export class SnapshotReader {
  private last: Snapshot | null = null;
  private lastAt = -Infinity;

  constructor(private readonly roots: WorkspaceRoots) {}

  read(): Snapshot {
    const now = performance.now();
    if (this.last !== null && now - this.lastAt < REUSE_MS) return this.last;
    const { listeners, errors } = readListeners();
    const owned = socketOwners(new Set(listeners.map((l) => l.inode)));
    const dirs = readWorkspaceDirs(this.roots);
    this.last = {
      listeners,
      owners: owned.owners,
      names: indexWorkspaceNames(dirs.names),
      errors: [...errors, ...owned.errors, ...dirs.errors],
    };
    this.lastAt = now;
    return this.last;
  }
}
