// The kernel's listening TCP sockets, read from /proc/net/tcp and /proc/net/tcp6, and the processes
// that own them (from the `socket:[inode]` links under /proc/*/fd). The parser is pure; the readers
// never throw: whatever cannot be read becomes an error line for the admin page to show.
//
// /proc/net/tcp prints each address as the 32-bit words of the in-kernel address, each word with
// `%08X` in host byte order. Both release targets (x86_64, aarch64) are little-endian, so every word's
// bytes are read back to front.

import { readdir, readFile, readlink } from "node:fs/promises";

export interface Listener {
  family: 4 | 6;
  address: string;
  port: number;
  inode: number;
}

const TCP_LISTEN = "0A";
const HEX = /^[0-9A-Fa-f]+$/;

/** `0100007F` (one little-endian word) -> the four address bytes in network order. */
function wordBytes(hex: string, out: number[]): void {
  const w = parseInt(hex, 16);
  out.push(w & 255, (w >>> 8) & 255, (w >>> 16) & 255, (w >>> 24) & 255);
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function ipv6Text(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The `local_address` field (`0100007F:1F90`), or null when it is not the family's shape. */
function parseLocal(field: string, family: 4 | 6): { family: 4 | 6; address: string; port: number } | null {
  const colon = field.indexOf(":");
  if (colon === -1) return null;
  const addrHex = field.slice(0, colon);
  const portHex = field.slice(colon + 1);
  if (portHex.length !== 4 || !HEX.test(portHex) || !HEX.test(addrHex)) return null;
  const port = parseInt(portHex, 16);
  const bytes: number[] = [];
  if (family === 4) {
    if (addrHex.length !== 8) return null;
    wordBytes(addrHex, bytes);
    return { family: 4, address: bytes.join("."), port };
  }
  if (addrHex.length !== 32) return null;
  for (let i = 0; i < 32; i += 8) wordBytes(addrHex.slice(i, i + 8), bytes);
  // `::ffff:a.b.c.d`: an IPv4 address on a dual-stack socket; shown as the IPv4 address it serves.
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (mapped) return { family: 4, address: bytes.slice(12).join("."), port };
  return { family: 6, address: ipv6Text(bytes), port };
}

/**
 * The LISTEN sockets in the text of /proc/net/tcp (family 4) or /proc/net/tcp6 (family 6). The
 * header line, sockets in any other state and lines that do not have the expected shape are skipped.
 */
export function parseProcNetTcp(text: string, family: 4 | 6): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n")) {
    // A busy machine has thousands of connections in other states: the state is the only field
    // that can read " 0A " (the others are longer hex runs or decimals), so skip those unsplit.
    if (!line.includes(" 0A ")) continue;
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== TCP_LISTEN || !/^[0-9]+:$/.test(f[0]!)) continue;
    const local = parseLocal(f[1]!, family);
    const inodeText = f[9]!;
    if (local === null || !/^[0-9]{1,15}$/.test(inodeText)) continue;
    out.push({ ...local, inode: Number(inodeText) });
  }
  return out;
}

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
}

/**
 * Every listening TCP socket the kernel shows this process; a file it cannot read is an error line.
 * Asynchronous: the kernel builds these files from every socket on the machine, which takes tens
 * of milliseconds on a busy one, and the event loop must not wait for that.
 */
export async function readListeners(procRoot = "/proc"): Promise<{ listeners: Listener[]; errors: string[] }> {
  const listeners: Listener[] = [];
  const errors: string[] = [];
  const files = [["tcp", 4], ["tcp6", 6]] as const;
  const texts = await Promise.all(files.map(([file]) => readFile(`${procRoot}/net/${file}`, "latin1").catch((e: unknown) => e)));
  for (let i = 0; i < files.length; i++) {
    const [file, family] = files[i]!;
    const text = texts[i];
    if (typeof text === "string") listeners.push(...parseProcNetTcp(text, family));
    else errors.push(`cannot read ${procRoot}/net/${file} (${reason(text)}): its listening sockets are not shown`);
  }
  return { listeners, errors };
}

// Bounds on one scan, so a machine with very many processes or descriptors cannot keep it going.
const MAX_PROCESSES = 4096;
const MAX_FDS_SCANNED = 200_000;
const MAX_SCAN_MS = 2000;
const MAX_COMMAND_CHARS = 300;

async function commandOf(procRoot: string, pid: number): Promise<string> {
  const cmdline = await readFile(`${procRoot}/${pid}/cmdline`, "utf8").catch(() => "");
  const text = cmdline.replace(/\0+$/, "").replaceAll("\0", " ");
  if (text !== "") return text.slice(0, MAX_COMMAND_CHARS);
  // Gone or unreadable (kernel threads have none): comm is world-readable even where cmdline is not.
  const comm = await readFile(`${procRoot}/${pid}/comm`, "utf8").catch(() => null);
  return comm === null ? "" : `[${comm.trim()}]`;
}

/**
 * The process owning each of `inodes`, found through the `socket:[N]` links in /proc/PID/fd. Processes
 * whose descriptors cannot be read (another user's, without privileges) are counted into one error
 * line; processes that exit during the scan are ignored. The scan stops once every inode has an owner,
 * and at its bounds (processes, descriptors, time), which an error line then names.
 */
export async function socketOwners(
  inodes: ReadonlySet<number>,
  procRoot = "/proc",
): Promise<{ owners: Map<number, { pid: number; command: string }>; errors: string[] }> {
  const owners = new Map<number, { pid: number; command: string }>();
  const errors: string[] = [];
  if (inodes.size === 0) return { owners, errors };
  let pids: number[];
  try {
    pids = (await readdir(procRoot)).filter((n) => /^[0-9]+$/.test(n)).map(Number);
  } catch (e) {
    return { owners, errors: [`cannot list ${procRoot} (${reason(e)}): no socket shows its process`] };
  }
  const until = performance.now() + MAX_SCAN_MS;
  let denied = 0;
  let scanned = 0;
  let skipped = 0;
  for (let i = 0; i < pids.length && owners.size < inodes.size; i++) {
    if (scanned >= MAX_FDS_SCANNED || i >= MAX_PROCESSES || performance.now() > until) {
      skipped = pids.length - i;
      break;
    }
    const pid = pids[i]!;
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${pid}/fd`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EACCES" || code === "EPERM") denied++;
      continue;
    }
    fds = fds.slice(0, MAX_FDS_SCANNED - scanned);
    scanned += fds.length;
    const targets = await Promise.all(fds.map((fd) => readlink(`${procRoot}/${pid}/fd/${fd}`).catch(() => "")));
    for (const target of targets) {
      if (!target.startsWith("socket:[")) continue;
      const inode = Number(target.slice(8, -1));
      if (inodes.has(inode) && !owners.has(inode)) owners.set(inode, { pid, command: await commandOf(procRoot, pid) });
    }
  }
  if (denied > 0) {
    errors.push(`cannot read the open files of ${denied} process${denied === 1 ? "" : "es"} (permission denied): their sockets show no process`);
  }
  if (skipped > 0) {
    errors.push(`stopped after ${MAX_PROCESSES} processes, ${MAX_FDS_SCANNED} descriptors or ${MAX_SCAN_MS / 1000} s: ${skipped} processes not scanned`);
  }
  return { owners, errors };
}
