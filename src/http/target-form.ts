// The request target's forms [RFC 9112 §3.2]: an absolute-form target names the Host itself and
// goes upstream in origin form. Pure; the outbound head is written by outbound-head.ts.

const ABSOLUTE = /^https?:\/\/([^/?#]*)/i;

/**
 * A request in absolute form names its target in the URI, and the URI wins over any Host
 * [RFC 9112 §3.2.2]: the Host it must be routed and forwarded with is the URI's authority (without
 * userinfo). null for any other form.
 */
export function absoluteFormHost(target: string): string | null {
  if (target.charCodeAt(0) === 47) return null;
  const m = ABSOLUTE.exec(target);
  if (m === null) return null;
  return m[1]!.slice(m[1]!.lastIndexOf("@") + 1);
}

/** Absolute-form targets become origin-form [RFC 9112 §3.2.2]; others pass byte for byte. */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47) return target; // "/...": already origin-form, the usual case
  const m = ABSOLUTE.exec(target);
  if (m === null) return target;
  const rest = target.slice(m[0].length);
  return rest.startsWith("/") ? rest : "/" + rest;
}
