// What listens near a target that refused the connection, said in sentences for the 502. Pure: it
// takes the kernel's listening sockets (src/net/listeners.ts reads them) so the common mistakes are
// named: a server started without the shim (on 127.0.0.1, not the workspace IP), one bound to
// `::1` only, the port served in another workspace, or the ports this workspace does serve.

import { isIP } from "node:net";

/** A listening socket's address; src/net/listeners.ts's Listener has these and more. */
export interface ListeningAddress {
  family: 4 | 6;
  /** IPv4 dotted quad (v4-mapped addresses already folded), or RFC 5952 IPv6 text. */
  address: string;
  port: number;
}

/** Ports named in one sentence before "and N more". */
const MAX_PORTS = 8;
/** Other workspaces' addresses named before "and N more". */
const MAX_OTHERS = 3;

const LOOPBACK_PAIR = new Set(["127.0.0.1", "::1", "localhost"]);

function fmt(family: 4 | 6, address: string, port: number): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function list(items: readonly string[], max: number): string {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  if (more > 0) return `${shown.join(", ")} and ${more} more`;
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]!}`;
}

/** The addresses a connect to `host` reaches: the loopback pair is tried in both families. */
function targetAddresses(host: string): { family: 4 | 6; address: string }[] {
  if (LOOPBACK_PAIR.has(host)) {
    return [
      { family: 4, address: "127.0.0.1" },
      { family: 6, address: "::1" },
    ];
  }
  return [{ family: isIP(host) === 6 ? 6 : 4, address: host }];
}

/** Does this listener accept connections to `address` of `family`? Wildcards accept them all. */
function serves(l: ListeningAddress, family: 4 | 6, address: string): boolean {
  if (l.family === 4) return family === 4 && (l.address === address || l.address === "0.0.0.0");
  // `[::]` also serves IPv4 unless the socket is IPv6-only, which /proc does not show.
  return l.address === "::" || (family === 6 && l.address === address);
}

/**
 * Sentences about the listeners near `host:port`, for a connect that was refused. Empty for a host
 * name (its addresses are not this machine's to look up).
 */
export function diagnoseRefused(host: string, port: number, listeners: readonly ListeningAddress[]): string[] {
  if (!LOOPBACK_PAIR.has(host) && isIP(host) === 0) return [];
  const targets = targetAddresses(host);
  const onPort = listeners.filter((l) => l.port === port);
  const serving = onPort.filter((l) => targets.some((t) => serves(l, t.family, t.address)));
  if (serving.length > 0) {
    const where = list(serving.map((l) => fmt(l.family, l.address, l.port)), MAX_OTHERS);
    return [`${where} listens now: the server may have just started, try again`];
  }

  // For the loopback pair the 502 has already named both addresses, and the ports listening there
  // are every service of the machine: only a workspace's own ports are worth listing.
  const workspace = !LOOPBACK_PAIR.has(host);
  const notes = workspace ? [`nothing listens on ${fmt(targets[0]!.family, host, port)}`] : [];
  if (workspace && onPort.some((l) => l.family === 4 && l.address === "127.0.0.1")) {
    notes.push(`127.0.0.1:${port} has a listener: a server started without the shim? (start it in the workspace with LD_PRELOAD, or leave out the workspace to reach it)`);
  }
  if (workspace && onPort.some((l) => l.family === 6 && l.address === "::1")) {
    notes.push(`[::1]:${port} has a listener: a server bound to ::1 only, which the shim cannot move into a workspace (bind it to 127.0.0.1 or localhost)`);
  }
  const isTarget = (l: ListeningAddress) => targets.some((t) => l.family === t.family && l.address === t.address);
  const otherLoopback = onPort.filter((l) => l.family === 4 && l.address.startsWith("127.") && l.address !== "127.0.0.1" && !isTarget(l));
  if (otherLoopback.length > 0) {
    const what = list(otherLoopback.map((l) => fmt(l.family, l.address, l.port)), MAX_OTHERS);
    const verb = otherLoopback.length === 1 ? "has a listener" : "have listeners";
    notes.push(`${what} ${verb} ${workspace ? "(another workspace)" : "(in a workspace: name it with X-Cmux-Workspace-Internal)"}`);
  }
  const offLoopback = onPort.filter((l) => (l.family === 4 ? !l.address.startsWith("127.") : l.address !== "::1" && l.address !== "::"));
  if (offLoopback.length > 0) {
    const what = list(offLoopback.map((l) => fmt(l.family, l.address, l.port)), MAX_OTHERS);
    notes.push(`${what} ${offLoopback.length === 1 ? "has a listener" : "have listeners"} (not on loopback)`);
  }

  if (!workspace) return notes;
  const ports = [...new Set(listeners.filter(isTarget).map((l) => l.port))].sort((a, b) => a - b);
  if (ports.length === 0) notes.push(`in this workspace (${host}), no port listens at all`);
  else notes.push(`in this workspace (${host}), port${ports.length === 1 ? "" : "s"} ${list(ports.map(String), MAX_PORTS)} listen${ports.length === 1 ? "s" : ""}`);
  return notes;
}
