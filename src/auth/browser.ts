// How a browser presents the token: it opens any URL once with `?cmux_token=<token>`; the proxy
// answers with a redirect to the same URL without the parameter and a cookie that carries the token
// on later requests to that host. Pure: the parameter and the cookie are found and removed here, and
// neither ever reaches the upstream (the query is answered by the proxy, the cookie is stripped).

const COOKIE_NAME = "cmux_token";
export const QUERY_PARAM = "cmux_token";

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // Malformed escapes: compared as sent, so they simply do not match.
    return s;
  }
}

/** The `name=value` pairs of one Cookie field [RFC 6265 §4.2.1], each with the space after its `;`. */
function cookiePairs(field: string): string[] {
  return field.split(";");
}

function cookieName(pair: string): string {
  const eq = pair.indexOf("=");
  return (eq === -1 ? pair : pair.slice(0, eq)).trim();
}

/** The values of every cmux_token cookie in one Cookie field. */
export function cookieValues(field: string): string[] {
  const out: string[] = [];
  if (!field.includes(COOKIE_NAME)) return out;
  for (const pair of cookiePairs(field)) {
    if (cookieName(pair) !== COOKIE_NAME) continue;
    const eq = pair.indexOf("=");
    let v = eq === -1 ? "" : pair.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.push(v);
  }
  return out;
}

/**
 * The Cookie field without the proxy's cookie: every other pair keeps its bytes and its order.
 * null when nothing is left (the field is then dropped, not sent empty).
 */
export function stripCookie(field: string): string | null {
  if (!field.includes(COOKIE_NAME)) return field;
  const kept = cookiePairs(field).filter((p) => cookieName(p) !== COOKIE_NAME);
  // The pair after a removed first pair starts with the separator's space.
  const out = kept.join(";").replace(/^[ \t]+/, "");
  return out.trim() === "" ? null : out;
}

/** `Set-Cookie` for the host the browser asked: host-only (no Domain), gone when the browser closes. */
export function setCookieValue(token: string): string {
  return `${COOKIE_NAME}=${token}; HttpOnly; SameSite=Lax; Path=/`;
}

export interface QueryToken {
  /** Every cmux_token value in the query, percent-decoded. */
  values: string[];
  /** The target without those parameters (and without a `?` left empty). */
  rest: string;
}

/** The cmux_token parameters of a request target, or null if it has none (the common case). */
export function queryToken(target: string): QueryToken | null {
  const q = target.indexOf("?");
  if (q === -1 || !target.includes(QUERY_PARAM, q)) return null;
  const hash = target.indexOf("#", q);
  const end = hash === -1 ? target.length : hash;
  const values: string[] = [];
  const kept: string[] = [];
  for (const param of target.slice(q + 1, end).split("&")) {
    const eq = param.indexOf("=");
    if ((eq === -1 ? param : param.slice(0, eq)) === QUERY_PARAM) values.push(percentDecode(eq === -1 ? "" : param.slice(eq + 1)));
    else kept.push(param);
  }
  if (values.length === 0) return null;
  const query = kept.join("&");
  return { values, rest: target.slice(0, q) + (query === "" ? "" : "?" + query) + target.slice(end) };
}

/** The proxy's answer to a good `?cmux_token=`: the cookie, and the same URL without the parameter. */
export function tokenRedirect(location: string, setCookie: string): Uint8Array {
  return Buffer.from(
    "HTTP/1.1 302 Found\r\n" +
      `Location: ${location}\r\n` +
      `Set-Cookie: ${setCookie}\r\n` +
      "Cache-Control: no-store\r\n" +
      "Content-Length: 0\r\n" +
      "Connection: close\r\n\r\n",
    "latin1",
  );
}

const QUERY_VALUE = new RegExp(`([?&]${QUERY_PARAM}=)[^&#]*`, "g");

/** The target as a log line may show it: every `cmux_token` value replaced. */
export function redactedTarget(target: string): string {
  return target.includes(QUERY_PARAM) ? target.replace(QUERY_VALUE, "$1<redacted>") : target;
}
