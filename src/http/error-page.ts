// The proxy's own errors as a browser sees them: a small self-contained HTML page (inline style, no
// script, no external assets) with the same facts as the plain line, and the request forms that
// would reach a server. Pure. Other clients keep the one plain line (src/http/errors.ts).

/** The statuses that get a page: the ones a person in a browser can do something about. */
export const PAGE_STATUSES: ReadonlySet<number> = new Set([400, 502, 504, 508]);

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const member of accept.split(",")) {
    const [range, ...params] = member.split(";");
    const slash = range!.indexOf("/");
    if (slash === -1) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m !== null) q = Math.min(1, Number(m[1]) || 0);
    }
    out.push({ type: range!.slice(0, slash).trim().toLowerCase(), subtype: range!.slice(slash + 1).trim().toLowerCase(), q });
  }
  return out;
}

/** The q of the most specific range matching `type/subtype` [RFC 9110 §12.5.1]; 0 if none. */
function quality(ranges: readonly MediaRange[], type: string, subtype: string): number {
  let best = -1;
  let q = 0;
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === "*" ? 1 : r.type === "*" && r.subtype === "*" ? 0 : -1;
    if (specificity > best) {
      best = specificity;
      q = r.q;
    }
  }
  return q;
}

/**
 * Does the client prefer HTML to plain text? Browsers do (`text/html,...,*\/*;q=0.8`); curl and
 * fetch() send `*\/*`, which prefers neither, and keep the plain line.
 */
export function prefersHtml(accept: readonly string[]): boolean {
  if (accept.length === 0) return false;
  const ranges = parseAccept(accept.join(","));
  return quality(ranges, "text", "html") > quality(ranges, "text", "plain");
}

export interface FormsInput {
  /** The authority the client reached the proxy by (its Host), e.g. `localhost:8080`. */
  authority: string;
  /** The request's path (origin-form). */
  path: string;
  /** The Host-routing suffix to show (the first --host-suffix). */
  suffix: string;
  /** The target's port, if the request named one. */
  port: number | null;
  /** The workspace the request named, if any. */
  workspace: string | null;
}

/** `host:port` -> `:port`, `host` -> ``; IPv6 literals keep their brackets. */
function portPart(authority: string): string {
  const m = /:([0-9]+)$/.exec(authority);
  return m === null || authority.endsWith("]") ? "" : `:${m[1]}`;
}

/** The request forms that would reach the target (or show where the missing parts go). */
export function urlForms(f: FormsInput): string[] {
  const port = f.port === null ? "<port>" : String(f.port);
  const workspace = f.workspace ?? "<workspace>";
  const listenerPort = portPart(f.authority);
  // A Host that was itself a route is not where header requests should go: the proxy's port is.
  const base = f.authority.includes(`.${f.suffix}`) || f.authority === "" ? `localhost${listenerPort}` : f.authority;
  const header = `curl -H 'X-Cmux-Port-Internal: ${port}'${f.workspace !== null ? ` -H 'X-Cmux-Workspace-Internal: ${f.workspace}'` : ""} http://${base}${f.path}`;
  return [`http://${workspace}-${port}.${f.suffix}${listenerPort}${f.path}`, header];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageFacts {
  status: number;
  statusText: string;
  /** The plain line's reason. */
  reason: string;
  /** Further sentences (what listens nearby, for a 502). */
  notes: readonly string[];
  /** Request forms that would work (urlForms). */
  tries: readonly string[];
}

const STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1d1d1b}" +
  "main{max-width:46rem;margin:3rem auto;padding:0 1.25rem}" +
  ".status{font-weight:600;color:#a1260d;margin:0}" +
  "h1{font-size:1.35rem;margin:.25rem 0 1rem;overflow-wrap:anywhere}" +
  "h2{font-size:1rem;margin:1.5rem 0 .5rem}" +
  "code{font:14px/1.4 ui-monospace,monospace;background:#e9e9e4;padding:.15rem .35rem;border-radius:4px;overflow-wrap:anywhere}" +
  "li{margin:.35rem 0}footer{margin-top:2rem;color:#6b6b66;font-size:.85rem}";

export function errorPageHtml(f: PageFacts): string {
  const title = `${f.status} ${f.statusText}`;
  const notes = f.notes.length === 0 ? "" : `<ul class="notes">${f.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`;
  const tries =
    f.tries.length === 0
      ? ""
      : `<h2>How to address a server through this proxy</h2><ul class="tries">${f.tries.map((t) => `<li><code>${escapeHtml(t)}</code></li>`).join("")}</ul>`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)} · cmux-proxy</title><style>${STYLE}</style></head>` +
    `<body><main><p class="status">${escapeHtml(title)}</p><h1>${escapeHtml(f.reason)}</h1>${notes}${tries}` +
    `<footer>Answered by cmux-proxy itself, not by the server behind it.</footer></main></body></html>\n`
  );
}
