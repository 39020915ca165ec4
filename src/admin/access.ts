// Which requests are the proxy's own: the Host is the admin name (any port, any case, an optional
// trailing dot), and the peer is in --admin-from. Everyone else is routed like any other request, so
// a proxy published on 0.0.0.0 never shows its process list to the network. Pure.

import { inAnyCidr, type Cidr } from "../net/cidr";

export const DEFAULT_ADMIN_HOST = "cmux.localhost";

/**
 * Every request asks this, so it reads the Host in place: the admin name in any case, then nothing,
 * a trailing dot, and/or `:port`. `adminHost` is lowercase (parseAdminHost).
 */
export function isAdminHost(host: string, adminHost: string): boolean {
  const n = adminHost.length;
  if (host.length < n) return false;
  for (let i = 0; i < n; i++) {
    let c = host.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== adminHost.charCodeAt(i)) return false;
  }
  let i = n;
  if (host.charCodeAt(i) === 46) i++; // "."
  if (i === host.length) return true;
  if (host.charCodeAt(i) !== 58) return false; // ":"
  for (i++; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `--admin-host`: a host name (checked like a DNS name), stored lowercased. */
export function parseAdminHost(text: string): string | { error: string } {
  const h = text.trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(h) || h.length > 253) {
    return { error: `invalid --admin-host "${text}" (expected a host name such as cmux.localhost, without a port)` };
  }
  return h;
}

export function adminAllowed(peer: string, from: readonly Cidr[]): boolean {
  return inAnyCidr(from, peer);
}
