// Which requests the proxy answers itself: the admin Host, and peers in --admin-from.

import { describe, expect, test } from "bun:test";
import { adminAllowed, isAdminHost, parseAdminHost } from "../../src/admin/access";
import { LOOPBACK, parseCidrList, type Cidr } from "../../src/net/cidr";

describe("isAdminHost (admin host cmux.localhost)", () => {
  test.each<[string, boolean]>([
    ["cmux.localhost", true],
    ["cmux.localhost:8080", true],
    ["CMUX.LocalHost:8080", true],
    ["cmux.localhost.", true],
    ["cmux.localhost.:8080", true],
    ["cmux.localhost:", true],
    ["cmux.localhost:80a", false],
    ["cmux.localhostx", false],
    ["xcmux.localhost", false],
    ["cmux.localhost..", false],
    ["workspace-1-3000.localhost:8080", false],
    ["cmux", false],
    ["", false],
    ["127.0.0.1:8080", false],
  ])("%p -> %p", (host, want) => {
    expect(isAdminHost(host, "cmux.localhost")).toBe(want);
  });
});

describe("parseAdminHost", () => {
  test.each<[string, string | RegExp]>([
    ["cmux.localhost", "cmux.localhost"],
    ["Admin.Example.Test", "admin.example.test"],
    [" proxy-admin ", "proxy-admin"],
    ["cmux.localhost:8080", /invalid --admin-host "cmux.localhost:8080" \(expected a host name such as cmux.localhost, without a port\)/],
    ["", /invalid --admin-host ""/],
    ["-x.localhost", /invalid/],
    ["a..b", /invalid/],
    ["[::1]", /invalid/],
  ])("%p", (text, want) => {
    const r = parseAdminHost(text);
    if (typeof want === "string") expect(r).toBe(want);
    else expect((r as { error: string }).error).toMatch(want);
  });
});

describe("adminAllowed", () => {
  const lan = parseCidrList("10.0.0.0/8,fd00::/8") as Cidr[];
  test.each<[string, readonly Cidr[], boolean]>([
    ["127.0.0.1", LOOPBACK, true],
    ["127.18.0.5", LOOPBACK, true],
    ["::1", LOOPBACK, true],
    ["::ffff:127.0.0.1", LOOPBACK, true],
    ["10.1.2.3", LOOPBACK, false],
    ["::ffff:10.1.2.3", LOOPBACK, false],
    ["192.168.1.2", LOOPBACK, false],
    ["10.1.2.3", lan, true],
    ["fd12::1", lan, true],
    ["127.0.0.1", lan, false],
    ["127.0.0.1", [], false],
  ])("%p", (peer, from, want) => {
    expect(adminAllowed(peer, from)).toBe(want);
  });
});
