// The admin settings from flags and environment.

import { describe, expect, test } from "bun:test";
import { adminConfig, type AdminConfig, type AdminInput } from "../../src/admin/config";

describe("adminConfig", () => {
  test.each<[string, AdminInput, Partial<{ host: string; from: string[]; roots: string[]; explicit: boolean }> | RegExp]>([
    ["defaults", { roots: [], home: "/home/dev" }, { host: "cmux.localhost", from: ["127.0.0.0/8", "::1/128"], roots: ["/root", "/home/dev"], explicit: false }],
    ["HOME is /root", { roots: [], home: "/root" }, { roots: ["/root"], explicit: false }],
    ["no HOME", { roots: [] }, { roots: ["/root"] }],
    ["roots given, repeated and comma-separated", { roots: ["/a", "/b,/c", " /a "], home: "/h" }, { roots: ["/a", "/b", "/c"], explicit: true }],
    ["an admin host", { host: "Proxy.Test", roots: [] }, { host: "proxy.test" }],
    ["admin-from", { from: "10.0.0.0/8, ::1", roots: [] }, { from: ["10.0.0.0/8", "::1"] }],
    ["admin-from empty: nobody", { from: "", roots: [] }, { from: [] }],
    ["a bad host", { host: "a:1", roots: [] }, /^invalid --admin-host "a:1"/],
    ["a bad range", { from: "10.0.0.0/99", roots: [] }, /^invalid --admin-from: invalid address range "10.0.0.0\/99": prefix "\/99" is not 0-32$/],
  ])("%s", (_name, input, want) => {
    const r = adminConfig(input);
    if (want instanceof RegExp) return expect(r as string).toMatch(want);
    const c = r as AdminConfig;
    const got = { host: c.host, from: c.from.map((x) => x.text), roots: c.roots.roots, explicit: c.roots.explicit };
    expect(got).toMatchObject(want);
  });
});
