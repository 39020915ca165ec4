// Reads what the admin page shows: the kernel's listening sockets, their owners and the workspace
// directory names under the roots. Asynchronous and bounded (see net/listeners.ts), so the event
// loop never waits for the kernel; one reading is shared by every request while it runs and reused
// for a second after, so several open pages polling at once cost one scan, not one each.

import { readdir } from "node:fs/promises";
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
export async function readWorkspaceDirs({ roots, explicit }: WorkspaceRoots): Promise<{ names: string[]; errors: string[] }> {
  const names: string[] = [];
  const errors: string[] = [];
  for (const root of roots) {
    try {
      for (const e of await readdir(root, { withFileTypes: true })) {
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

async function readSnapshot(roots: WorkspaceRoots): Promise<Snapshot> {
  const [{ listeners, errors }, dirs] = await Promise.all([readListeners(), readWorkspaceDirs(roots)]);
  const owned = await socketOwners(new Set(listeners.map((l) => l.inode)));
  return { listeners, owners: owned.owners, names: indexWorkspaceNames(dirs.names), errors: [...errors, ...owned.errors, ...dirs.errors] };
}

export class SnapshotReader {
  private last: Snapshot | null = null;
  private lastAt = -Infinity;
  private pending: Promise<Snapshot> | null = null;

  constructor(private readonly roots: WorkspaceRoots) {}

  read(): Promise<Snapshot> {
    if (this.last !== null && performance.now() - this.lastAt < REUSE_MS) return Promise.resolve(this.last);
    this.pending ??= readSnapshot(this.roots).then((s) => {
      this.last = s;
      this.lastAt = performance.now();
      this.pending = null;
      return s;
    });
    return this.pending;
  }
}
