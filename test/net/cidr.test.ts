// Address ranges: parsing with one-line errors, and the match of peers (v4-mapped folded to IPv4).

import { describe, expect, test } from "bun:test";
import { cidrContains, isLoopbackPeer, parseCidr, parseCidrList, type Cidr } from "../../src/net/cidr";

const c = (text: string) => parseCidr(text) as Cidr;

describe("parseCidr rejects with a line naming the range", () => {
  test.each([
    ["nope", /"nope" is not an IP address/],
    ["10.0.0.0/33", /prefix "\/33" is not 0-32/],
    ["::1/129", /prefix "\/129" is not 0-128/],
    ["10.0.0.0/", /prefix "\/" is not 0-32/],
    ["10.0.0.0/x", /prefix "\/x"/],
    ["10.0.0/8", /is not an IP address/],
  ])("%p", (text, re) => {
    const r = parseCidr(text);
    expect(typeof r).toBe("string");
    expect(r as string).toMatch(re);
  });
});

describe("cidrContains", () => {
  test.each([
    ["127.0.0.0/8", "127.0.0.1", true],
    ["127.0.0.0/8", "127.255.255.254", true],
    ["127.0.0.0/8", "128.0.0.1", false],
    ["127.0.0.0/8", "::ffff:127.0.0.1", true],
    ["10.1.2.3", "10.1.2.3", true],
    ["10.1.2.3", "10.1.2.4", false],
    ["10.0.0.0/15", "10.1.255.255", true],
    ["10.0.0.0/15", "10.2.0.0", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["0.0.0.0/0", "::1", false],
    ["::1/128", "::1", true],
    ["::1", "::2", false],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/33", "2001:db8:8000::1", false],
    ["::/0", "2001:db8::1", true],
    ["::ffff:0:0/96", "::ffff:1.2.3.4", false], // folded to IPv4: an IPv6 range does not hold it
    ["fe80::/10", "fe80::1", true],
    ["fe80::/10", "fec0::1", false],
    ["10.0.0.0/8", "not-an-ip", false],
  ] as [string, string, boolean][])("%p holds %p: %p", (range, addr, expected) => {
    expect(cidrContains(c(range), addr)).toBe(expected);
  });
});

test("parseCidrList skips empty items and stops at the first bad one", () => {
  expect((parseCidrList(" 10.0.0.0/8, ,::1 ") as Cidr[]).map((x) => x.text)).toEqual(["10.0.0.0/8", "::1"]);
  expect(parseCidrList("10.0.0.0/8,bad")).toMatch(/"bad" is not an IP address/);
  expect(parseCidrList("")).toEqual([]);
});

test.each([
  ["127.0.0.1", true],
  ["127.18.0.1", true],
  ["::1", true],
  ["::ffff:127.0.0.1", true],
  ["192.0.2.2", false],
  ["::ffff:192.0.2.2", false],
  ["fd00::2", false],
])("isLoopbackPeer(%p) = %p", (addr, expected) => {
  expect(isLoopbackPeer(addr)).toBe(expected);
});
