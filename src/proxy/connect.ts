// Which addresses a connect to an upstream host tries, in order, and how the 502 says what each of
// them answered. Dev servers on Node 17+ often bind `[::1]` only (`localhost` resolves verbatim), so
// the loopback hosts try the other family when the first refuses; a host name tries every address
// it resolves to. Nothing is remembered between requests: a server restarted on the other family
// is found on the next request.

import { isIP } from "node:net";

/** One address tried and how it failed (`ECONNREFUSED`, `ENETUNREACH`, ...). */
export interface Attempt {
  address: string;
  code: string;
}

/** The loopback hosts and the order their addresses are tried in. */
const LOOPBACK_ORDER: Record<string, readonly string[]> = {
  "127.0.0.1": ["127.0.0.1", "::1"],
  localhost: ["127.0.0.1", "::1"],
  "::1": ["::1", "127.0.0.1"],
};

/**
 * The addresses to try for `host`, or null when it is a name to resolve. Only the loopback hosts
 * get the other family: a workspace IP (127.18.x.y) is one address, and falling back to `::1` there
 * would reach a server outside the workspace.
 */
export function fixedAddresses(host: string): readonly string[] | null {
  const loopback = LOOPBACK_ORDER[host.toLowerCase()];
  if (loopback !== undefined) return loopback;
  return isIP(host) !== 0 ? [host] : null;
}

/** A resolver's answer, deduplicated, in its own order (both families). */
export function resolvedAddresses(answers: readonly { address: string }[]): string[] {
  const out: string[] = [];
  for (const a of answers) if (!out.includes(a.address)) out.push(a.address);
  return out;
}

/** The addresses to try for `host`; a name that does not resolve throws the resolver's error. */
export async function addressesFor(host: string): Promise<readonly string[]> {
  return fixedAddresses(host) ?? resolvedAddresses(await Bun.dns.lookup(host, {}));
}

/** Whether the next address is worth trying after this failure: the ones that fail at once. */
export function triesNext(code: string): boolean {
  return code === "ECONNREFUSED" || code === "EADDRNOTAVAIL" || code === "ENETUNREACH" || code === "EHOSTUNREACH";
}

function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function failure(code: string): string {
  return code === "ECONNREFUSED" ? "refused the connection" : `failed: ${code}`;
}

/**
 * The 502's reason. One address: `upstream 127.0.0.1:3000 refused the connection`; several with
 * the same answer: `... refused the connection (tried 127.0.0.1:3000 and [::1]:3000)`; otherwise
 * each address with its own answer.
 */
export function connectFailureReason(host: string, port: number, attempts: readonly Attempt[]): string {
  const name = hostPort(host, port);
  if (attempts.length === 0) return `upstream ${name} could not be reached`;
  const first = attempts[0]!;
  if (attempts.length === 1 && first.address === host) return `upstream ${name} ${failure(first.code)}`;
  const addrs = attempts.map((a) => hostPort(a.address, port));
  if (attempts.every((a) => a.code === first.code)) {
    const list = addrs.length === 1 ? addrs[0]! : `${addrs.slice(0, -1).join(", ")} and ${addrs[addrs.length - 1]!}`;
    return `upstream ${name} ${failure(first.code)} (tried ${list})`;
  }
  return `upstream ${name} could not be reached: ${attempts.map((a, i) => `${addrs[i]} ${failure(a.code)}`).join(", ")}`;
}

/** What `UpstreamPool.connect` rejects with: every address tried, and the reason built from them. */
export class ConnectFailure extends Error {
  /** The last attempt's code, as a single socket error would carry it. */
  readonly code: string;

  constructor(
    host: string,
    port: number,
    readonly attempts: readonly Attempt[],
  ) {
    super(connectFailureReason(host, port, attempts));
    this.code = attempts[attempts.length - 1]?.code ?? "EUNKNOWN";
  }
}
