// GET /: the listing as one self-contained HTML page (no external assets). It is complete without
// script; a small inline script fetches the page again every two seconds and swaps in the new
// listing, so it stays current without a reload, and says so when the proxy stops answering.
// Everything shown comes from other processes (command lines): all of it is escaped, and the
// Content-Security-Policy allows only this page's own script, by its hash.

import { createHash } from "node:crypto";
import type { Listing, ListingEntry, ListingGroup } from "./listing";
import type { AdminResponse } from "./response";

const POLL_MS = 2000;

const SCRIPT = `
const statusLine = document.getElementById("status");
async function refresh() {
  try {
    const res = await fetch(location.pathname, { cache: "no-store", headers: { Accept: "text/html" } });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("listing");
    if (next) document.getElementById("listing").replaceWith(next);
    statusLine.textContent = "live: refreshed every ${POLL_MS / 1000} s";
    statusLine.className = "live";
  } catch (e) {
    statusLine.textContent = "cannot reach the proxy (" + e.message + "): this is the last listing it sent";
    statusLine.className = "stale";
  } finally {
    setTimeout(refresh, ${POLL_MS});
  }
}
setTimeout(refresh, ${POLL_MS});
`;

const SCRIPT_HASH = createHash("sha256").update(SCRIPT).digest("base64");
const CSP = `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
h2 { font-size: 1.05rem; margin: 1.4rem 0 .3rem; }
h2 small, .note { color: #5a5a5a; font-weight: normal; }
table { border-collapse: collapse; min-width: 40rem; }
th, td { text-align: left; padding: .2rem .8rem .2rem 0; vertical-align: top; border-bottom: 1px solid #e4e4e4; }
code { font: 12px ui-monospace, monospace; }
td.command code { word-break: break-all; }
td.nowrap { white-space: nowrap; }
.errors { background: #fff4d6; border: 1px solid #e0b100; padding: .4rem .8rem; margin: .8rem 0; }
.live { color: #1d6b2f; } .stale { color: #a02020; font-weight: bold; }
.self { color: #5a5a5a; }
`;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function processCell(e: ListingEntry): string {
  // No process of this machine's PID namespace holds it, or its descriptors could not be read
  // (then the errors above say so).
  if (e.pid === null) return `<span class="note">no process found</span>`;
  return `${e.pid} <code>${esc(e.command ?? "")}</code>`;
}

function reachCell(e: ListingEntry): string {
  if (e.proxy) return `<span class="self">this proxy</span>`;
  if (e.url !== null) return `<a href="${esc(e.url)}">${esc(e.url)}</a>`;
  if (e.headers !== null) {
    return Object.entries(e.headers)
      .map(([k, v]) => `<code>${esc(k)}: ${esc(v)}</code>`)
      .join("<br>");
  }
  return `<span class="note">not routed by the proxy</span>`;
}

function groupHeading(g: ListingGroup): string {
  if (g.kind !== "workspace") return esc(g.name);
  const from = g.source === "directory" ? "directory found under the workspace roots" : "numeric name (no directory with this hash found)";
  const aliases = g.aliases.length > 0 ? `; the same IP as ${g.aliases.map(esc).join(", ")}` : "";
  return `${esc(g.name)} <small>${esc(g.ip ?? "")}, ${from}${aliases}</small>`;
}

function groupSection(g: ListingGroup): string {
  const rows = g.listeners
    .map(
      (e) =>
        `<tr data-port="${e.port}" data-address="${esc(e.address)}"><td>${e.port}</td><td class="nowrap"><code>${esc(e.family === 6 ? `[${e.address}]` : e.address)}</code></td><td class="command">${processCell(e)}</td><td class="nowrap">${reachCell(e)}</td></tr>`,
    )
    .join("\n");
  const body =
    g.listeners.length === 0
      ? `<p class="note">nothing listening</p>`
      : `<table><thead><tr><th>port</th><th>address</th><th>process</th><th>open</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
  return `<section data-kind="${g.kind}" data-name="${esc(g.name)}"><h2>${groupHeading(g)}</h2>\n${body}</section>`;
}

export function listingHtml(listing: Listing): string {
  const errors =
    listing.errors.length === 0
      ? ""
      : `<div class="errors"><strong>Could not read everything:</strong><ul>${listing.errors.map((e) => `<li>${esc(e)}</li>`).join("")}</ul></div>`;
  const workspaces = listing.groups.filter((g) => g.kind === "workspace");
  const none = workspaces.length === 0 ? `<p class="note">No server listens on a workspace IP (127.18.x.y).</p>` : "";
  return `<main id="listing"><p class="note">Listening TCP sockets at ${esc(listing.generatedAt)}</p>
${errors}${none}${listing.groups.map(groupSection).join("\n")}
</main>`;
}

export function page(listing: Listing): AdminResponse {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cmux-proxy: what is listening</title><style>${STYLE}</style></head>
<body><h1>cmux-proxy: what is listening</h1>
<p id="status" class="note">refreshed every ${POLL_MS / 1000} s</p>
${listingHtml(listing)}
<script>${SCRIPT}</script>
</body></html>
`;
  return {
    status: 200,
    headers: [
      ["Content-Type", "text/html; charset=utf-8"],
      ["Content-Security-Policy", CSP],
      ["Referrer-Policy", "no-referrer"],
    ],
    body: html,
  };
}
