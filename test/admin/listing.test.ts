// The listing: groups, order, links and headers from a kernel table, owners and directory names.

import { describe, expect, test } from "bun:test";
import { buildListing, linkPortOf, type ListingInput } from "../../src/admin/listing";
import type { Listener } from "../../src/net/listeners";
import { indexWorkspaceNames } from "../../src/workspace-names";

const L = (address: string, port: number, inode: number, family: 4 | 6 = address.includes(":") ? 6 : 4): Listener => ({ family, address, port, inode });

const base: ListingInput = {
  listeners: [
    L("127.18.0.2", 5173, 10),
    L("127.18.176.32", 3000, 11), // workspace-a
    L("127.18.176.32", 80, 12),
    L("127.18.0.2", 3000, 13),
    L("127.0.0.1", 5432, 14),
    L("::1", 5173, 15),
    L("0.0.0.0", 8080, 16),
    L("::", 22, 17),
    L("127.0.0.53", 53, 18),
    L("10.1.2.3", 9000, 19),
    L("127.18.9.9", 4000, 20), // no directory: numeric name
  ],
  owners: new Map([
    [10, { pid: 100, command: "node vite" }],
    [11, { pid: 101, command: "python3 -m http.server 3000" }],
    [16, { pid: 200, command: "cmux-proxy" }],
  ]),
  names: indexWorkspaceNames(["workspace-a", "workspace-cwqv", "workspace-2"]),
  errors: ["cannot read the open files of 3 processes (permission denied): their sockets show no process"],
  listening: [{ host: "0.0.0.0", port: 8080 }],
  linkPort: ":8080",
  upstreamHost: "127.0.0.1",
  now: new Date("2026-12-01T22:00:00.000Z"),
};

test("groups: workspaces by name, then the default upstream, then other addresses", () => {
  const l = buildListing(base);
  expect(l.version).toBe(1);
  expect(l.generatedAt).toBe("2026-12-01T22:00:00.000Z");
  expect(l.groups.map((g) => [g.kind, g.name, g.ip, g.source, g.aliases])).toEqual([
    ["workspace", "workspace-2", "127.18.0.2", "directory", []],
    ["workspace", "workspace-2313", "127.18.9.9", "number", []],
    ["workspace", "workspace-a", "127.18.176.32", "directory", ["workspace-cwqv"]],
    ["default", "default upstream (127.0.0.1, 0.0.0.0, ::1, ::)", null, null, []],
    ["other", "other addresses", null, null, []],
  ]);
  expect(l.errors).toEqual([...base.errors]);
});

test("entries: sorted by port, with owner, link and headers", () => {
  const l = buildListing(base);
  const [ws2, , wsA, dflt, other] = l.groups;
  expect(ws2!.listeners).toEqual([
    {
      family: 4,
      address: "127.18.0.2",
      port: 3000,
      pid: null,
      command: null,
      url: "http://workspace-2-3000.localhost:8080/",
      headers: { "X-Cmux-Workspace-Internal": "workspace-2", "X-Cmux-Port-Internal": "3000" },
      proxy: false,
    },
    {
      family: 4,
      address: "127.18.0.2",
      port: 5173,
      pid: 100,
      command: "node vite",
      url: "http://workspace-2-5173.localhost:8080/",
      headers: { "X-Cmux-Workspace-Internal": "workspace-2", "X-Cmux-Port-Internal": "5173" },
      proxy: false,
    },
  ]);
  expect(wsA!.listeners.map((e) => [e.port, e.url, e.pid])).toEqual([
    [80, "http://workspace-a-80.localhost:8080/", null],
    [3000, "http://workspace-a-3000.localhost:8080/", 101],
  ]);
  expect(dflt!.listeners.map((e) => [e.address, e.port, e.url, e.headers, e.proxy])).toEqual([
    ["::", 22, null, { "X-Cmux-Port-Internal": "22" }, false],
    ["::1", 5173, null, { "X-Cmux-Port-Internal": "5173" }, false],
    ["127.0.0.1", 5432, null, { "X-Cmux-Port-Internal": "5432" }, false],
    ["0.0.0.0", 8080, null, { "X-Cmux-Port-Internal": "8080" }, true],
  ]);
  expect(other!.listeners.map((e) => [e.address, e.port, e.url, e.headers])).toEqual([
    ["127.0.0.53", 53, null, null],
    ["10.1.2.3", 9000, null, null],
  ]);
});

test("a socket per worker (SO_REUSEPORT) of one process is listed once; other processes each", () => {
  const l = buildListing({
    ...base,
    listeners: [L("127.18.0.2", 3000, 1), L("127.18.0.2", 3000, 2), L("127.18.0.2", 3000, 3)],
    owners: new Map([
      [1, { pid: 7, command: "a" }],
      [2, { pid: 7, command: "a" }],
      [3, { pid: 8, command: "b" }],
    ]),
  });
  expect(l.groups[0]!.listeners.map((e) => e.pid)).toEqual([7, 8]);
});

test("no listeners at all: only the (empty) default group", () => {
  const l = buildListing({ ...base, listeners: [], errors: [] });
  expect(l.groups).toEqual([{ kind: "default", name: "default upstream (127.0.0.1, 0.0.0.0, ::1, ::)", ip: null, source: null, aliases: [], listeners: [] }]);
});

describe("linkPortOf: the port part of links, from the admin request's Host", () => {
  test.each([
    ["cmux.localhost:8080", ":8080"],
    ["cmux.localhost", ""],
    ["cmux.localhost:80", ""],
    ["CMUX.localhost.:9000", ":9000"],
    ["[::1]:8080", ":8080"],
    ["[::1]", ""],
    ["", ""],
  ])("%p -> %p", (host, want) => {
    expect(linkPortOf(host)).toBe(want);
  });
});

describe("which default addresses the port header reaches, by --upstream-host", () => {
  const addresses = ["127.0.0.1", "0.0.0.0", "::1", "::"];
  test.each<[string, string[]]>([
    // The loopback hosts try both families (src/proxy/connect.ts).
    ["127.0.0.1", ["127.0.0.1", "0.0.0.0", "::1", "::"]],
    ["localhost", ["127.0.0.1", "0.0.0.0", "::1", "::"]],
    ["::1", ["127.0.0.1", "0.0.0.0", "::1", "::"]],
    ["10.0.0.5", []],
    ["db.internal", []],
  ])("%p", (upstreamHost, reached) => {
    const l = buildListing({ ...base, upstreamHost, listeners: addresses.map((a, i) => L(a, 3000 + i, 100 + i)) });
    const dflt = l.groups.find((g) => g.kind === "default")!;
    expect(dflt.listeners.filter((e) => e.headers !== null).map((e) => e.address).sort()).toEqual([...reached].sort());
  });
});
