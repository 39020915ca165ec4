// Workspace name -> loopback IP. The LD_PRELOAD shim (ldpreload/workspace_net.c) implements the
// same rule; both are checked against test/vectors/workspace-ip.json.

export type WorkspaceIp = { ok: true; ip: string } | { ok: false; reason: string };

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The last path component: `/root/workspace-3/` names workspace `workspace-3`. */
export function workspaceBaseName(name: string): string {
  const trimmed = name.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** FNV-1a 32 over the UTF-8 bytes of the name with ASCII A-Z lowercased (what C can do too). */
export function fnv1a32(name: string): number {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(name)) {
    const b = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
    h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  }
  return h;
}

export function workspaceIp(rawName: string): WorkspaceIp {
  const name = workspaceBaseName(rawName.trim());
  if (name === "") return { ok: false, reason: "empty workspace name" };
  const digits = /[0-9]+$/.exec(name)?.[0];
  let n: number;
  if (digits !== undefined) {
    // Out-of-range numbers are refused rather than wrapped: wrapping would alias two workspaces.
    const significant = digits.replace(/^0+/, "");
    n = significant.length > 5 ? Infinity : Number(significant);
    if (n < 1 || n > 65535) {
      return { ok: false, reason: `workspace number out of range in "${name}" (expected 1-65535)` };
    }
  } else {
    n = fnv1a32(name) & 0xffff;
  }
  return { ok: true, ip: `127.18.${n >> 8}.${n & 255}` };
}
