// Routing tables [DESIGN "Rules of behaviour: Routing", docs/http-behaviour.md rows 2, 33].
// Workspace IPs are the independently computed values of test/vectors/workspace-ip.json.

import { describe, expect, test } from "bun:test";
import type { ListenAddress } from "../src/config";
import { HttpError } from "../src/http/errors";
import { isSelfTarget, requestedWorkspace, route, routedByHeader, type Target } from "../src/route";
import { fields } from "./helpers/fields";

const UPSTREAM = "127.0.0.1";
const MISSING = "missing required header: X-Cmux-Port-Internal";

type Outcome = Target | { error: number };

function outcome(r: Target | HttpError): Outcome {
  return r instanceof HttpError ? { error: r.status } : r;
}

describe("X-Cmux-Port-Internal: digits only, surrounding spaces allowed, 1..65535", () => {
  test.each([
    ["3000", { host: UPSTREAM, port: 3000 }],
    [" 3000 ", { host: UPSTREAM, port: 3000 }],
    ["1", { host: UPSTREAM, port: 1 }],
    ["65535", { host: UPSTREAM, port: 65535 }],
    ["08080", { host: UPSTREAM, port: 8080 }],
    ["0", { error: 400 }],
    ["65536", { error: 400 }],
    ["99999", { error: 400 }],
    ["123456", { error: 400 }],
    ["", { error: 400 }],
    ["-1", { error: 400 }],
    ["+80", { error: 400 }],
    ["80a", { error: 400 }],
    ["0x50", { error: 400 }],
    ["1e3", { error: 400 }],
    ["80.0", { error: 400 }],
    ["8 0", { error: 400 }],
    ["\t3000\t", { host: UPSTREAM, port: 3000 }],
    ["\u00a03000", { error: 400 }],
    ["3000, 3000", { error: 400 }],
    ["\u0663\u0660\u0660\u0660", { error: 400 }],
  ] as [string, Outcome][])("%p -> %p", (value, expected) => {
    expect(outcome(route(fields([["X-Cmux-Port-Internal", value]]), UPSTREAM))).toEqual(expected);
  });

  test("the header name is matched in any case (row 2)", () => {
    expect(route(fields([["x-CMUX-port-INTERNAL", "3000"]]), UPSTREAM)).toEqual({ host: UPSTREAM, port: 3000 });
  });

  test("the reason names the header, the value and the range", () => {
    const got = route(fields([["X-Cmux-Port-Internal", "abc"]]), UPSTREAM);
    expect(got).toEqual(new HttpError(400, 'invalid port in X-Cmux-Port-Internal: "abc" (expected 1-65535)'));
  });

  test.each([
    ["equal values", ["3000", "3000"], { host: UPSTREAM, port: 3000 }],
    ["equal values up to spaces", ["3000", " 3000 "], { host: UPSTREAM, port: 3000 }],
    ["different values", ["3000", "4000"], { error: 400 }],
    ["a valid and an invalid value", ["3000", "x"], { error: 400 }],
  ] as [string, string[], Outcome][])("repeated port header, %s", (_name, values, expected) => {
    const head = fields(values.map((v) => ["X-Cmux-Port-Internal", v] as [string, string]));
    expect(outcome(route(head, UPSTREAM))).toEqual(expected);
  });
});

describe("missing target -> the exact 400 reason", () => {
  test.each([
    ["no headers at all", []],
    ["a plain Host", [["Host", "example.com"]]],
    ["Host on localhost", [["Host", "localhost:8080"]]],
    ["Host without a workspace part", [["Host", "3000.localhost"]]],
    ["Host with an empty workspace part", [["Host", "-3000.localhost"]]],
    ["Host under another domain", [["Host", "workspace-2-3000.example.com"]]],
    ["Host with .localhost not last", [["Host", "workspace-2-3000.localhost.evil.test"]]],
    ["Host with a port that is not digits", [["Host", "workspace-2-abc.localhost"]]],
    ["only a workspace header", [["X-Cmux-Workspace-Internal", "workspace-2"]]],
  ] as [string, [string, string][]][])("%s", (_name, pairs) => {
    expect(route(fields(pairs), UPSTREAM)).toEqual(new HttpError(400, MISSING));
  });
});

describe("workspace header: numeric and hashed names", () => {
  test.each([
    ["workspace-3", { host: "127.18.0.3", port: 3000 }],
    ["workspace-256", { host: "127.18.1.0", port: 3000 }],
    ["/root/workspace-3", { host: "127.18.0.3", port: 3000 }],
    ["my-project", { host: "127.18.106.11", port: 3000 }],
    ["MY-PROJECT", { host: "127.18.106.11", port: 3000 }],
    ["workspace-a", { host: "127.18.176.32", port: 3000 }],
    ["workspace-0", { error: 400 }],
    ["workspace-65536", { error: 400 }],
    ["", { error: 400 }],
    // Heads are decoded one char per byte: these are the UTF-8 bytes of workspace-ä and 工作区.
    ["workspace-\xc3\xa4", { host: "127.18.175.102", port: 3000 }],
    ["\xe5\xb7\xa5\xe4\xbd\x9c\xe5\x8c\xba", { host: "127.18.205.34", port: 3000 }],
    ["workspace-\xff", { error: 400 }],
  ] as [string, Outcome][])("%p -> %p", (ws, expected) => {
    const head = fields([["X-Cmux-Port-Internal", "3000"], ["X-Cmux-Workspace-Internal", ws]]);
    expect(outcome(route(head, UPSTREAM))).toEqual(expected);
  });

  test.each([
    ["equal values", ["workspace-3", "workspace-3"], { host: "127.18.0.3", port: 3000 }],
    ["different values", ["workspace-3", "workspace-4"], { error: 400 }],
  ] as [string, string[], Outcome][])("repeated workspace header, %s", (_name, values, expected) => {
    const head = fields([
      ["X-Cmux-Port-Internal", "3000"],
      ...values.map((v) => ["X-Cmux-Workspace-Internal", v] as [string, string]),
    ]);
    expect(outcome(route(head, UPSTREAM))).toEqual(expected);
  });
});

describe("Host routing: <workspace>-<port>.localhost[:p], case-insensitive, last '-' splits", () => {
  test.each([
    ["workspace-2-3000.localhost", { host: "127.18.0.2", port: 3000 }],
    ["workspace-2-3000.localhost:8080", { host: "127.18.0.2", port: 3000 }],
    ["WORKSPACE-2-3000.LOCALHOST", { host: "127.18.0.2", port: 3000 }],
    ["Workspace-A-80.LocalHost:80", { host: "127.18.176.32", port: 80 }],
    ["my-project-5173.localhost", { host: "127.18.106.11", port: 5173 }],
    ["42-1.localhost", { host: "127.18.0.42", port: 1 }],
    ["workspace-2-65535.localhost", { host: "127.18.0.2", port: 65535 }],
    ["workspace-2-0.localhost", { error: 400 }],
    ["workspace-2-65536.localhost", { error: 400 }],
    ["workspace-0-3000.localhost", { error: 400 }],
  ] as [string, Outcome][])("%p -> %p", (host, expected) => {
    expect(outcome(route(fields([["Host", host]]), UPSTREAM))).toEqual(expected);
  });
});

describe("Host routing under --host-suffix: labels before the route label are ignored", () => {
  const SUFFIXES = ["localhost", "dev.example.test", "example.test"];
  test.each([
    ["tenant.workspace-a-5173.localhost", ["localhost"], { host: "127.18.176.32", port: 5173 }],
    ["a.b.tenant.workspace-2-3000.localhost:8080", ["localhost"], { host: "127.18.0.2", port: 3000 }],
    ["workspace-2-3000.dev.example.test", SUFFIXES, { host: "127.18.0.2", port: 3000 }],
    ["WORKSPACE-2-3000.Dev.Example.TEST.", SUFFIXES, { host: "127.18.0.2", port: 3000 }],
    ["workspace-2-3000.example.test:443", SUFFIXES, { host: "127.18.0.2", port: 3000 }],
    // The longest suffix wins: "dev" is not taken for a route label.
    ["tenant-9.workspace-2-3000.dev.example.test", SUFFIXES, { host: "127.18.0.2", port: 3000 }],
    ["workspace-2-3000.localhost", ["example.test"], { error: 400 }],
    ["workspace-2-3000.notexample.test", SUFFIXES, { error: 400 }],
    ["workspace-2-3000.example.test.evil.test", SUFFIXES, { error: 400 }],
    ["example.test", SUFFIXES, { error: 400 }],
    [".example.test", SUFFIXES, { error: 400 }],
    ["workspace-2-3000.tenant.localhost", ["localhost"], { error: 400 }],
    ["tenant.-3000.localhost", ["localhost"], { error: 400 }],
  ] as [string, string[], Outcome][])("%p with %p -> %p", (host, suffixes, expected) => {
    expect(outcome(route(fields([["Host", host]]), UPSTREAM, suffixes))).toEqual(expected);
  });

  test("a bad port names the matched suffix", () => {
    expect(route(fields([["Host", "w-0.dev.example.test"]]), UPSTREAM, ["dev.example.test"])).toEqual(
      new HttpError(400, 'invalid port in Host "w-0.dev.example.test" (expected <workspace>-<1-65535>.dev.example.test)'),
    );
  });

  test("the workspace part keeps its case for the hash (only ASCII is lowercased there)", () => {
    // "café" sent as UTF-8 and read as latin1: É (0xC3 0x89) must not be lowercased before hashing.
    const upper = route(fields([["Host", "CAF\u00c3\u0089-80.localhost"]]), UPSTREAM);
    const viaHeader = route(fields([["X-Cmux-Port-Internal", "80"], ["X-Cmux-Workspace-Internal", "CAF\u00c3\u0089"]]), UPSTREAM);
    expect(upper).toEqual(viaHeader);
  });
});

describe("precedence: headers win over Host", () => {
  test.each([
    [
      "port header over the Host port; the Host workspace still applies",
      [["Host", "workspace-2-3000.localhost"], ["X-Cmux-Port-Internal", "4000"]],
      { host: "127.18.0.2", port: 4000 },
    ],
    [
      "workspace header over the Host workspace; the Host port still applies",
      [["Host", "workspace-2-3000.localhost"], ["X-Cmux-Workspace-Internal", "workspace-3"]],
      { host: "127.18.0.3", port: 3000 },
    ],
    [
      "both headers over Host",
      [["Host", "workspace-2-3000.localhost"], ["X-Cmux-Workspace-Internal", "my-project"], ["X-Cmux-Port-Internal", "5000"]],
      { host: "127.18.106.11", port: 5000 },
    ],
    [
      "port header with a plain Host: the upstream host",
      [["Host", "localhost:8080"], ["X-Cmux-Port-Internal", "5000"]],
      { host: UPSTREAM, port: 5000 },
    ],
    [
      "an invalid port header is not rescued by a valid Host",
      [["Host", "workspace-2-3000.localhost"], ["X-Cmux-Port-Internal", "0"]],
      { error: 400 },
    ],
  ] as [string, [string, string][], Outcome][])("%s", (_name, pairs, expected) => {
    expect(outcome(route(fields(pairs), UPSTREAM))).toEqual(expected);
  });

  test("a host name as --upstream-host is used as given", () => {
    expect(route(fields([["X-Cmux-Port-Internal", "3000"]]), "devbox.internal")).toEqual({ host: "devbox.internal", port: 3000 });
  });
});

describe("isSelfTarget (row 33)", () => {
  const LOCAL = new Set(["10.1.2.3"]);
  const v4 = (host: string, port: number): ListenAddress => ({ host, port, family: 4 });
  const v6 = (host: string, port: number): ListenAddress => ({ host, port, family: 6 });

  test.each([
    ["wildcard, loopback", [v4("0.0.0.0", 8080)], "127.0.0.1", 8080, true],
    ["wildcard, a workspace IP (all of 127/8 is local)", [v4("0.0.0.0", 8080)], "127.18.0.2", 8080, true],
    ["wildcard, an interface address", [v4("0.0.0.0", 8080)], "10.1.2.3", 8080, true],
    ["wildcard, localhost by name", [v4("0.0.0.0", 8080)], "localhost", 8080, true],
    ["wildcard, a remote address", [v4("0.0.0.0", 8080)], "10.9.9.9", 8080, false],
    ["wildcard, another port", [v4("0.0.0.0", 8080)], "127.0.0.1", 8081, false],
    // ::1 and 127.0.0.1 each fall back to the other when refused (src/proxy/connect.ts).
    ["::1 falls back to the IPv4 wildcard", [v4("0.0.0.0", 8080)], "::1", 8080, true],
    ["IPv4 wildcard does not listen on another IPv6 address", [v4("0.0.0.0", 8080)], "fd00::1", 8080, false],
    ["specific address, same address", [v4("127.0.0.1", 8080)], "127.0.0.1", 8080, true],
    ["specific address, another loopback address", [v4("127.0.0.1", 8080)], "127.18.0.2", 8080, false],
    ["specific address, an interface address", [v4("127.0.0.1", 8080)], "10.1.2.3", 8080, false],
    ["specific address, localhost by name resolves to it", [v4("127.0.0.1", 8080)], "localhost", 8080, true],
    ["IPv6 wildcard, ::1", [v6("::", 8080)], "::1", 8080, true],
    ["IPv6 specific, same address", [v6("::1", 8080)], "::1", 8080, true],
    ["IPv6 specific: 127.0.0.1 falls back to it", [v6("::1", 8080)], "127.0.0.1", 8080, true],
    ["IPv6 specific: a workspace IP does not fall back", [v6("::1", 8080)], "127.18.0.2", 8080, false],
    ["second of several listeners", [v4("127.0.0.1", 8080), v4("0.0.0.0", 9090)], "127.18.0.5", 9090, true],
    ["no listeners", [], "127.0.0.1", 8080, false],
    ["v4-mapped spelling of the listen address", [v4("127.0.0.1", 8080)], "::ffff:127.0.0.1", 8080, true],
    ["long IPv6 spelling of ::1", [v6("::1", 8080)], "0:0:0:0:0:0:0:1", 8080, true],
    ["wildcard, v4-mapped loopback", [v4("0.0.0.0", 8080)], "::ffff:127.0.0.2", 8080, true],
  ] as [string, ListenAddress[], string, number, boolean][])("%s", (_name, listening, host, port, expected) => {
    expect(isSelfTarget({ host, port }, listening, LOCAL)).toBe(expected);
  });

  test.each([
    ["resolves to the listen address", ["127.0.0.1"], true],
    ["resolves to an interface address under a wildcard", ["10.1.2.3"], true],
    ["resolves elsewhere", ["10.9.9.9"], false],
    ["did not resolve", [], false],
  ] as [string, string[], boolean][])("a named upstream host that %s", (_name, resolved, expected) => {
    const listening = [v4("127.0.0.1", 8080), v4("0.0.0.0", 9090)];
    expect(isSelfTarget({ host: "db.internal", port: 8080 }, listening, LOCAL, resolved) || isSelfTarget({ host: "db.internal", port: 9090 }, listening, LOCAL, resolved)).toBe(expected);
  });
});

describe("routedByHeader and requestedWorkspace: what /metrics and the access log record", () => {
  test.each<[string, [string, string][], boolean, string | null]>([
    ["port by header, default upstream", [["Host", "x"], ["X-Cmux-Port-Internal", "3000"]], true, null],
    ["port and workspace by header", [["X-Cmux-Workspace-Internal", " workspace-a "], ["X-Cmux-Port-Internal", "3000"]], true, "workspace-a"],
    ["by Host", [["Host", "workspace-a-3000.localhost:8080"]], false, "workspace-a"],
    ["the header's workspace wins over the Host's", [["Host", "workspace-a-3000.localhost"], ["X-Cmux-Workspace-Internal", "workspace-7"]], false, "workspace-7"],
    ["a UTF-8 name (latin1 on the wire)", [["Host", `${Buffer.from("workspace-ä", "utf8").toString("latin1")}-3000.localhost`]], false, "workspace-ä"],
    ["no route at all", [["Host", "example.test"]], false, null],
  ])("%s", (_name, pairs, byHeader, workspace) => {
    const f = fields(pairs);
    expect(routedByHeader(f)).toBe(byHeader);
    expect(requestedWorkspace(f)).toBe(workspace);
  });
});
