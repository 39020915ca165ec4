// Forwarded headers and the Host override (README "Behind an ingress"): the exact head the upstream
// would receive, written by serializeRequestHead with the edit forwardedEdit returns.

import { describe, expect, test } from "bun:test";
import { forwardedEdit, type ForwardedOptions, type Hop } from "../../src/http/forwarded";
import { HttpError } from "../../src/http/errors";
import { fieldTokens, type RequestHead } from "../../src/http/head-parser";
import { serializeRequestHead } from "../helpers/scanned-head";
import { parseCidrList, type Cidr } from "../../src/net/cidr";
import { fields } from "../helpers/fields";

function request(pairs: [string, string][]): RequestHead {
  return { method: "GET", target: "/", minor: 1, ...fields(pairs) };
}

const TRUSTED = parseCidrList("10.0.0.0/8, ::1") as Cidr[];
const DEFAULTS: ForwardedOptions = { headers: true, trusted: [], rewriteHost: false };
const HOP: Hop = { peer: "192.0.2.7", port: 8080, proto: "http" };
const TARGET_PORT = 5173;

function upstreamHead(pairs: [string, string][], opts: Partial<ForwardedOptions> = {}, hop: Partial<Hop> = {}): string[] | number {
  const head = request(pairs);
  const connection = fieldTokens(head, "connection");
  const edit = forwardedEdit(head, connection, TARGET_PORT, { ...HOP, ...hop }, { ...DEFAULTS, ...opts });
  if (edit instanceof HttpError) return edit.status;
  const text = serializeRequestHead(head, { upgrade: false, connection, edit });
  return text.split("\r\n").slice(1, -2);
}

const OWN = ["X-Forwarded-For: 192.0.2.7", "X-Forwarded-Proto: http", "X-Forwarded-Host: app.test", "X-Forwarded-Port: 8080"];

describe("an untrusted peer (the default): the client's X-Forwarded-* are replaced by this hop's", () => {
  test.each([
    ["none sent: all four added", [["Host", "app.test"]], ["Host: app.test", ...OWN]],
    [
      "spoofed values dropped, in any case and number",
      [
        ["Host", "app.test"],
        ["X-Forwarded-For", "1.1.1.1"],
        ["x-forwarded-for", "2.2.2.2"],
        ["X-FORWARDED-PROTO", "https"],
        ["X-Forwarded-Host", "bank.test"],
        ["X-Forwarded-Port", "443"],
        ["Accept", "*/*"],
      ],
      ["Host: app.test", "Accept: */*", ...OWN],
    ],
    [
      "Connection cannot strip what the proxy adds",
      [["Host", "app.test"], ["Connection", "X-Forwarded-For, x-forwarded-proto, X-Forwarded-Host, X-Forwarded-Port"]],
      ["Host: app.test", ...OWN],
    ],
    ["no Host: no X-Forwarded-Host", [], ["X-Forwarded-For: 192.0.2.7", "X-Forwarded-Proto: http", "X-Forwarded-Port: 8080"]],
    ["the Forwarded header (RFC 7239) is not touched", [["Host", "app.test"], ["Forwarded", "for=1.1.1.1"]], ["Host: app.test", "Forwarded: for=1.1.1.1", ...OWN]],
  ] as [string, [string, string][], string[]][])("%s", (_name, pairs, expected) => {
    expect(upstreamHead(pairs)).toEqual(expected);
  });

  test("a trusted range that does not hold the peer changes nothing", () => {
    expect(upstreamHead([["Host", "app.test"], ["X-Forwarded-For", "1.1.1.1"]], { trusted: TRUSTED })).toEqual(["Host: app.test", ...OWN]);
  });
});

describe("the peer's address as X-Forwarded-For", () => {
  test.each([
    ["192.0.2.7", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["::FFFF:192.0.2.7", "192.0.2.7"],
    ["2001:db8::1", "2001:db8::1"],
    ["::1", "::1"],
  ])("%p -> %p", (peer, expected) => {
    expect(upstreamHead([], {}, { peer })).toContain(`X-Forwarded-For: ${expected}`);
  });
});

describe("a trusted peer: X-Forwarded-For appended, the others kept when present", () => {
  test.each([
    [
      "an ingress's values kept, the peer appended to the chain",
      [["Host", "app.test"], ["X-Forwarded-For", "203.0.113.9"], ["X-Forwarded-Proto", "https"], ["X-Forwarded-Host", "w-5173.cloud.test"], ["X-Forwarded-Port", "443"]],
      ["Host: app.test", "X-Forwarded-Proto: https", "X-Forwarded-Host: w-5173.cloud.test", "X-Forwarded-Port: 443", "X-Forwarded-For: 203.0.113.9, 10.1.2.3"],
    ],
    [
      "repeated X-Forwarded-For lines become one list",
      [["X-Forwarded-For", "203.0.113.9, 198.51.100.1"], ["x-forwarded-for", " 198.51.100.2 "]],
      ["X-Forwarded-For: 203.0.113.9, 198.51.100.1, 198.51.100.2, 10.1.2.3", "X-Forwarded-Proto: http", "X-Forwarded-Port: 8080"],
    ],
    [
      "what is missing is this hop's",
      [["Host", "app.test"], ["X-Forwarded-Proto", "https"]],
      ["Host: app.test", "X-Forwarded-Proto: https", "X-Forwarded-For: 10.1.2.3", "X-Forwarded-Host: app.test", "X-Forwarded-Port: 8080"],
    ],
    [
      "an empty value counts as missing (and is not sent twice)",
      [["Host", "app.test"], ["X-Forwarded-Proto", ""], ["X-Forwarded-For", " "]],
      ["Host: app.test", "X-Forwarded-For: 10.1.2.3", "X-Forwarded-Proto: http", "X-Forwarded-Host: app.test", "X-Forwarded-Port: 8080"],
    ],
    [
      "fields the client's Connection lists are gone before the proxy adds its own",
      [["Host", "app.test"], ["Connection", "X-Forwarded-For, X-Forwarded-Proto"], ["X-Forwarded-For", "1.1.1.1"], ["X-Forwarded-Proto", "https"]],
      ["Host: app.test", "X-Forwarded-For: 10.1.2.3", "X-Forwarded-Proto: http", "X-Forwarded-Host: app.test", "X-Forwarded-Port: 8080"],
    ],
  ] as [string, [string, string][], string[]][])("%s", (_name, pairs, expected) => {
    expect(upstreamHead(pairs, { trusted: TRUSTED }, { peer: "10.1.2.3" })).toEqual(expected);
  });

  test("a v4-mapped peer is matched against IPv4 ranges", () => {
    expect(upstreamHead([["X-Forwarded-For", "203.0.113.9"]], { trusted: TRUSTED }, { peer: "::ffff:10.1.2.3" })).toContain(
      "X-Forwarded-For: 203.0.113.9, 10.1.2.3",
    );
  });
});

describe("Host override: X-Cmux-Host-Override and --rewrite-host", () => {
  test.each([
    [
      "the override is the Host, the original goes to X-Forwarded-Host, the override header never goes upstream",
      [["Host", "w-5173.cloud.test"], ["X-Cmux-Host-Override", "localhost:5173"], ["Accept", "*/*"]],
      {},
      ["Accept: */*", "Host: localhost:5173", "X-Forwarded-For: 192.0.2.7", "X-Forwarded-Proto: http", "X-Forwarded-Host: w-5173.cloud.test", "X-Forwarded-Port: 8080"],
    ],
    [
      "--rewrite-host: localhost and the target's port",
      [["Host", "workspace-a-5173.localhost:8080"]],
      { rewriteHost: true },
      ["Host: localhost:5173", "X-Forwarded-For: 192.0.2.7", "X-Forwarded-Proto: http", "X-Forwarded-Host: workspace-a-5173.localhost:8080", "X-Forwarded-Port: 8080"],
    ],
    [
      "the header wins over --rewrite-host",
      [["Host", "a.test"], ["x-cmux-host-override", " [::1]:3000 "]],
      { rewriteHost: true },
      ["Host: [::1]:3000", "X-Forwarded-For: 192.0.2.7", "X-Forwarded-Proto: http", "X-Forwarded-Host: a.test", "X-Forwarded-Port: 8080"],
    ],
    [
      "a request without Host gets one",
      [],
      { rewriteHost: true },
      ["Host: localhost:5173", "X-Forwarded-For: 192.0.2.7", "X-Forwarded-Proto: http", "X-Forwarded-Port: 8080"],
    ],
    [
      "a trusted ingress's X-Forwarded-Host is kept over the Host it sent",
      [["Host", "proxy.internal"], ["X-Forwarded-Host", "w-5173.cloud.test"], ["X-Cmux-Host-Override", "localhost"]],
      { trusted: TRUSTED },
      ["X-Forwarded-Host: w-5173.cloud.test", "Host: localhost", "X-Forwarded-For: ::1", "X-Forwarded-Proto: http", "X-Forwarded-Port: 8080"],
    ],
    [
      "--no-forwarded-headers: only Host changes, the client's X-Forwarded-* pass as sent",
      [["Host", "a.test"], ["X-Forwarded-For", "1.1.1.1"], ["X-Cmux-Host-Override", "localhost:5173"]],
      { headers: false },
      ["X-Forwarded-For: 1.1.1.1", "Host: localhost:5173"],
    ],
    ["--no-forwarded-headers, no override: the head as it came", [["Host", "a.test"], ["X-Forwarded-For", "1.1.1.1"]], { headers: false }, ["Host: a.test", "X-Forwarded-For: 1.1.1.1"]],
    ["repeats that agree are one override", [["Host", "a"], ["X-Cmux-Host-Override", "b:1"], ["X-Cmux-Host-Override", "b:1"]], { headers: false }, ["Host: b:1"]],
  ] as [string, [string, string][], Partial<ForwardedOptions>, string[]][])("%s", (_name, pairs, opts, expected) => {
    const hop = opts.trusted !== undefined ? { peer: "::1" } : {};
    expect(upstreamHead(pairs, opts, hop)).toEqual(expected);
  });

  test.each([
    ["", 400],
    ["a b", 400],
    ["a.test:0", 400],
    ["a.test:65536", 400],
    ["a.test:", 400],
    ["a,b", 400],
    ["a/b", 400],
    ["[zz]:80", 400],
    ["localhost:5173", 0],
    ["127.0.0.1", 0],
    ["[::1]:5173", 0],
  ] as [string, number][])("override %p -> %p (0: accepted)", (value, status) => {
    const got = upstreamHead([["X-Cmux-Host-Override", value]], { headers: false });
    expect(typeof got === "number" ? got : 0).toBe(status);
  });

  test("the reason names the header and the expected form", () => {
    const head = request([["X-Cmux-Host-Override", "a b"]]);
    expect(forwardedEdit(head, [], 1, HOP, DEFAULTS)).toEqual(
      new HttpError(400, 'invalid X-Cmux-Host-Override: "a b" (expected host[:port], e.g. localhost:5173)'),
    );
  });

  test("repeats that differ are a 400", () => {
    const head = request([["X-Cmux-Host-Override", "a"], ["X-Cmux-Host-Override", "b"]]);
    expect(forwardedEdit(head, [], 1, HOP, DEFAULTS)).toEqual(new HttpError(400, "conflicting X-Cmux-Host-Override headers (send one)"));
  });

  test("without the edit, the serializer still never forwards the override header", () => {
    const head = request([["Host", "a"], ["X-Cmux-Host-Override", "b"]]);
    expect(serializeRequestHead(head, { upgrade: false, connection: [] })).toBe("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  });
});
