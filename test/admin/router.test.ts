// The admin endpoints as functions of the proxy's state: status, headers and bodies.

import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { Listing } from "../../src/admin/listing";
import { serializeAdminResponse, type AdminResponse } from "../../src/admin/response";
import { adminResponse, type AdminState } from "../../src/admin/router";
import type { Snapshot } from "../../src/admin/snapshot";
import { emptyGauges, Metrics, ROUTE } from "../../src/metrics";
import { indexWorkspaceNames } from "../../src/workspace-names";

const snapshot: Snapshot = {
  listeners: [
    { family: 4, address: "127.18.176.32", port: 3000, inode: 1 },
    { family: 4, address: "127.18.0.7", port: 5173, inode: 2 },
    { family: 6, address: "::1", port: 4000, inode: 3 },
    { family: 4, address: "127.0.0.1", port: 4001, inode: 5 },
    { family: 4, address: "0.0.0.0", port: 8080, inode: 4 },
  ],
  owners: new Map([
    [1, { pid: 41, command: `python3 -c "print('<script>alert(1)</script>')" & x` }],
    [4, { pid: 42, command: "cmux-proxy" }],
  ]),
  names: indexWorkspaceNames(["workspace-a"]),
  errors: ["cannot read the open files of 2 processes (permission denied): their sockets show no process"],
};

function state(over: Partial<AdminState> = {}): AdminState {
  const metrics = new Metrics();
  metrics.request(ROUTE.header, 200);
  return {
    draining: false,
    metrics,
    gauges: () => ({ ...emptyGauges(), pooledUpstreams: 2 }),
    snapshot: () => Promise.resolve(snapshot),
    listening: [{ host: "0.0.0.0", port: 8080 }],
    upstreamHost: "127.0.0.1",
    ...over,
  };
}

const get = async (target: string, s = state(), method = "GET") => await adminResponse({ method, target, host: "cmux.localhost:8080" }, s);
const header = (r: AdminResponse, name: string) => r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

describe("/healthz", () => {
  test.each<[boolean, number, string]>([
    [false, 200, "ok\n"],
    [true, 503, "draining\n"],
  ])("draining %p -> %p", async (draining, status, body) => {
    const r = await get("/healthz", state({ draining }));
    expect([r.status, r.body, header(r, "content-type")]).toEqual([status, body, "text/plain; charset=utf-8"]);
  });
});

describe("paths and methods", () => {
  test.each<[string, string, number, RegExp]>([
    ["GET", "/nope", 404, /^no admin endpoint "\/nope" \(expected one of \/, \/api\/listeners, \/healthz, \/metrics\)\n$/],
    ["GET", "/healthz/", 404, /no admin endpoint "\/healthz\/"/],
    ["POST", "/", 405, /^POST is not served here: the admin endpoints \(.*\) answer GET and HEAD\n$/],
    ["DELETE", "/healthz", 405, /DELETE is not served here/],
    ["GET", "/healthz?probe=1", 200, /^ok\n$/],
    ["GET", "http://cmux.localhost:8080/healthz", 200, /^ok\n$/],
    ["HEAD", "/healthz", 200, /^ok\n$/],
  ])("%s %s -> %p", async (method, target, status, body) => {
    const r = await get(target, state(), method);
    expect(r.status).toBe(status);
    expect(r.body).toMatch(body);
    if (status === 405) expect(header(r, "allow")).toBe("GET, HEAD");
  });
});

test("/metrics: Prometheus text with the proxy's counters and gauges", async () => {
  const r = await get("/metrics");
  expect(header(r, "content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(r.body).toContain(`cmux_requests_total{route="header",code="2xx"} 1\n`);
  expect(r.body).toContain("cmux_upstream_pooled_connections 2\n");
});

test("/api/listeners: the documented schema", async () => {
  const r = await get("/api/listeners?pretty");
  expect(header(r, "content-type")).toBe("application/json; charset=utf-8");
  const l = JSON.parse(r.body) as Listing;
  expect(Object.keys(l).sort()).toEqual(["errors", "generatedAt", "groups", "version"]);
  expect(l.version).toBe(1);
  expect(Number.isNaN(Date.parse(l.generatedAt))).toBe(false);
  expect(l.errors).toEqual(snapshot.errors);
  for (const g of l.groups) {
    expect(Object.keys(g).sort()).toEqual(["aliases", "ip", "kind", "listeners", "name", "source"]);
    for (const e of g.listeners) expect(Object.keys(e).sort()).toEqual(["address", "command", "family", "headers", "pid", "port", "proxy", "url"]);
  }
  const ws = l.groups.find((g) => g.name === "workspace-a")!;
  expect(ws).toMatchObject({ kind: "workspace", ip: "127.18.176.32", source: "directory", aliases: [] });
  expect(ws.listeners[0]).toMatchObject({ port: 3000, pid: 41, url: "http://workspace-a-3000.localhost:8080/" });
  expect(l.groups.find((g) => g.name === "workspace-7")!.listeners[0]!.url).toBe("http://workspace-7-5173.localhost:8080/");
  const dflt = l.groups.find((g) => g.kind === "default")!;
  expect(dflt.listeners.map((e) => [e.address, e.port, e.proxy, e.headers])).toEqual([
    ["::1", 4000, false, { "X-Cmux-Port-Internal": "4000" }],
    ["127.0.0.1", 4001, false, { "X-Cmux-Port-Internal": "4001" }],
    ["0.0.0.0", 8080, true, { "X-Cmux-Port-Internal": "8080" }],
  ]);
});

describe("/: the page", () => {
  let r: AdminResponse;
  beforeAll(async () => {
    r = await get("/");
  });
  test("links per workspace listener, the error note, the proxy marked", () => {
    expect(header(r, "content-type")).toBe("text/html; charset=utf-8");
    expect(r.body).toContain(`<a href="http://workspace-a-3000.localhost:8080/">http://workspace-a-3000.localhost:8080/</a>`);
    expect(r.body).toContain(`<a href="http://workspace-7-5173.localhost:8080/">`);
    expect(r.body).toContain("Could not read everything:");
    expect(r.body).toContain("permission denied");
    expect(r.body).toContain(`<code>X-Cmux-Port-Internal: 4001</code>`);
    expect(r.body).toContain(`<code>X-Cmux-Port-Internal: 4000</code>`);
    expect(r.body).toContain("this proxy");
  });

  test("command lines are escaped", () => {
    expect(r.body).not.toContain("<script>alert(1)</script>");
    expect(r.body).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(r.body).toContain("&#38; x");
  });

  test("self-contained: no external URL but the links; the CSP names the inline script's hash", () => {
    expect(r.body).not.toMatch(/<(link|img|iframe)\b/);
    expect(r.body).not.toMatch(/src=/);
    const scripts = [...r.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = createHash("sha256").update(scripts[0]!).digest("base64");
    expect(header(r, "content-security-policy")).toContain(`script-src 'sha256-${hash}'`);
    expect(header(r, "content-security-policy")).toContain("default-src 'none'");
  });
});

describe("serializeAdminResponse", () => {
  let r: AdminResponse;
  beforeAll(async () => {
    r = await get("/healthz");
  });
  test.each<[string, { head: boolean; keepAlive: boolean; clientMinor: 0 | 1 }, string]>([
    [
      "GET, keep-alive",
      { head: false, keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 3\r\n\r\nok\n",
    ],
    [
      "HEAD: the same head, no body",
      { head: true, keepAlive: true, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 3\r\n\r\n",
    ],
    [
      "closing",
      { head: false, keepAlive: false, clientMinor: 1 },
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
    ],
    [
      "HTTP/1.0 kept alive",
      { head: false, keepAlive: true, clientMinor: 0 },
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n",
    ],
  ])("%s", (_name, o, want) => {
    expect(serializeAdminResponse(r, o).toString("latin1")).toBe(want);
  });

  test("Content-Length counts UTF-8 bytes", () => {
    const bytes = serializeAdminResponse({ status: 200, headers: [], body: "ä\n" }, { head: false, keepAlive: true, clientMinor: 1 });
    expect(bytes.toString("latin1")).toContain("Content-Length: 3\r\n");
  });
});
