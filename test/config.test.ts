// Listen address tables [DESIGN "config.ts", issue 2 item 2]: parsing, the error line naming the
// address, and dedupe so the default `0.0.0.0:8080,127.0.0.1:8080` binds once.

import { describe, expect, test } from "bun:test";
import { checkUpstreamHost, dedupeListen, numericIpv4, parseHostSuffixes, parseListenAddress, parseListenList, type ListenAddress } from "../src/config";

const v4 = (host: string, port: number): ListenAddress => ({ host, port, family: 4 });
const v6 = (host: string, port: number): ListenAddress => ({ host, port, family: 6 });

describe("parseListenAddress accepts", () => {
  test.each([
    ["127.0.0.1:8080", v4("127.0.0.1", 8080)],
    ["0.0.0.0:8080", v4("0.0.0.0", 8080)],
    ["10.1.2.3:1", v4("10.1.2.3", 1)],
    ["127.0.0.1:65535", v4("127.0.0.1", 65535)],
    ["127.0.0.1:0", v4("127.0.0.1", 0)],
    ["[::1]:8080", v6("::1", 8080)],
    ["[::]:8080", v6("::", 8080)],
    ["[fe80::1]:443", v6("fe80::1", 443)],
    ["8080", v4("0.0.0.0", 8080)],
    ["localhost:8080", v4("127.0.0.1", 8080)],
    [" 127.0.0.1:8080 ", v4("127.0.0.1", 8080)],
  ] as [string, ListenAddress][])("%p", (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });
});

describe("parseListenAddress rejects with one line naming the address", () => {
  test.each([
    ["::1:8080"],
    ["[::1]"],
    ["[::1]8080"],
    ["[127.0.0.1]:80"],
    ["[nope]:80"],
    ["127.0.0.1"],
    ["127.0.0.1:"],
    ["127.0.0.1:65536"],
    ["127.0.0.1:99999"],
    ["127.0.0.1:-1"],
    ["127.0.0.1:http"],
    ["127.0.0.1:80x"],
    ["256.1.1.1:80"],
    ["example.com:80"],
    [":8080"],
    ["99999"],
    ["abc"],
  ])("%p", (text) => {
    const got = parseListenAddress(text);
    expect(typeof got).toBe("string");
    expect(got as string).toContain(`"${text}"`);
    expect(got as string).not.toContain("\n");
  });
});

describe("dedupeListen", () => {
  test.each([
    ["the default binds once", [v4("0.0.0.0", 8080), v4("127.0.0.1", 8080)], [v4("0.0.0.0", 8080)]],
    ["wildcard listed last still shadows", [v4("127.0.0.1", 8080), v4("0.0.0.0", 8080)], [v4("0.0.0.0", 8080)]],
    [
      "the wildcard shadows every IPv4 address on its port",
      [v4("10.1.2.3", 8080), v4("0.0.0.0", 8080), v4("127.0.0.1", 8080)],
      [v4("0.0.0.0", 8080)],
    ],
    ["[::] shadows IPv6 addresses", [v6("::", 8080), v6("::1", 8080)], [v6("::", 8080)]],
    ["[::] listed last still shadows", [v6("::1", 8080), v6("::", 8080)], [v6("::", 8080)]],
    [
      "a wildcard does not shadow another port",
      [v4("0.0.0.0", 8080), v4("127.0.0.1", 8081)],
      [v4("0.0.0.0", 8080), v4("127.0.0.1", 8081)],
    ],
    [
      "the IPv4 wildcard does not shadow IPv6 addresses",
      [v4("0.0.0.0", 8080), v6("::1", 8080)],
      [v4("0.0.0.0", 8080), v6("::1", 8080)],
    ],
    ["exact duplicates dropped", [v4("127.0.0.1", 8080), v4("127.0.0.1", 8080)], [v4("127.0.0.1", 8080)]],
    ["duplicate wildcards dropped", [v4("0.0.0.0", 8080), v4("0.0.0.0", 8080)], [v4("0.0.0.0", 8080)]],
    ["duplicate IPv6 dropped", [v6("::1", 9000), v6("::1", 9000)], [v6("::1", 9000)]],
    [
      "distinct addresses kept in order",
      [v4("127.0.0.2", 8080), v4("127.0.0.1", 8080), v6("::1", 8080)],
      [v4("127.0.0.2", 8080), v4("127.0.0.1", 8080), v6("::1", 8080)],
    ],
    ["port 0 is never deduped", [v4("127.0.0.1", 0), v4("127.0.0.1", 0)], [v4("127.0.0.1", 0), v4("127.0.0.1", 0)]],
    ["port 0 is not shadowed by a port-0 wildcard", [v4("0.0.0.0", 0), v4("127.0.0.1", 0)], [v4("0.0.0.0", 0), v4("127.0.0.1", 0)]],
    ["nothing in, nothing out", [], []],
  ] as [string, ListenAddress[], ListenAddress[]][])("%s", (_name, input, expected) => {
    expect(dedupeListen(input)).toEqual(expected);
  });
});

describe("parseListenList: repeated flags, comma-separated values", () => {
  test.each([
    ["the default", ["0.0.0.0:8080,127.0.0.1:8080"], [v4("0.0.0.0", 8080)]],
    ["repeated and comma-separated", ["127.0.0.1:1", "127.0.0.1:2,[::1]:3"], [v4("127.0.0.1", 1), v4("127.0.0.1", 2), v6("::1", 3)]],
    ["spaces around list members", [" 127.0.0.1:1 , 127.0.0.1:2 "], [v4("127.0.0.1", 1), v4("127.0.0.1", 2)]],
    ["empty members skipped", ["127.0.0.1:1,,", ","], [v4("127.0.0.1", 1)]],
    ["duplicates across flags dropped", ["127.0.0.1:8080", "localhost:8080"], [v4("127.0.0.1", 8080)]],
    ["wildcard in a later flag shadows", ["127.0.0.1:8080", "8080"], [v4("0.0.0.0", 8080)]],
    ["[::] shadows across the list", ["[::1]:8080,[::]:8080"], [v6("::", 8080)]],
  ] as [string, string[], ListenAddress[]][])("%s", (_name, values, expected) => {
    expect(parseListenList(values)).toEqual(expected);
  });

  test.each([
    ["no values", [], "no listen address given"],
    ["only empty members", [",", " "], "no listen address given"],
  ] as [string, string[], string][])("%s -> %p", (_name, values, expected) => {
    expect(parseListenList(values)).toBe(expected);
  });

  test.each([
    ["127.0.0.1:1,bogus", "bogus"],
    ["[::1]:1,127.0.0.1:70000", "127.0.0.1:70000"],
  ])("an invalid member %p fails the whole list, naming %p", (value, bad) => {
    const got = parseListenList([value]);
    expect(typeof got).toBe("string");
    expect(got as string).toContain(`"${bad}"`);
  });
});

describe("numericIpv4: what the C resolver reads a numeric spelling as", () => {
  test.each([
    ["127.1", "127.0.0.1"],
    ["127.0.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0x7f.0.0.1", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["127.0.0.1", "127.0.0.1"],
    ["10.65535", "10.0.255.255"],
    ["10.65536", "10.1.0.0"],
    ["10.0.65536", null],
    ["256.0.0.1", null],
    ["1.2.3.4.5", null],
    ["08.0.0.1", null],
    ["cafe", null],
    ["dead.beef", null],
    ["localhost", null],
  ] as [string, string | null][])("%p -> %p", (host, expected) => {
    expect(numericIpv4(host)).toBe(expected);
  });
});

describe("checkUpstreamHost", () => {
  test.each([
    ["127.0.0.1", null],
    ["::1", null],
    ["::ffff:127.0.0.1", null],
    ["localhost", null],
    ["db.internal", null],
    ["127.1", 'invalid --upstream-host "127.1": write the address as 127.0.0.1'],
    ["0.0.0.0", 'invalid --upstream-host "0.0.0.0": 0.0.0.0 is a wildcard for listening; to reach this machine write 127.0.0.1'],
    ["bad host!", 'invalid --upstream-host "bad host!": expected an IP or a host name'],
  ] as [string, string | null][])("%p -> %p", (host, expected) => {
    expect(checkUpstreamHost(host)).toBe(expected);
  });
});

describe("parseHostSuffixes: repeatable, comma-separated, lowercase, no leading dot", () => {
  test.each([
    [["localhost"], ["localhost"]],
    [["Dev.Example.COM"], ["dev.example.com"]],
    [[".dev.example.com"], ["dev.example.com"]],
    [["dev.example.com."], ["dev.example.com"]],
    [["localhost,dev.test", " other.test "], ["localhost", "dev.test", "other.test"]],
    [["localhost", "LOCALHOST"], ["localhost"]],
    [["a-b.c1"], ["a-b.c1"]],
  ] as [string[], string[]][])("%p -> %p", (values, expected) => {
    expect(parseHostSuffixes(values)).toEqual(expected);
  });

  test.each([
    [["dev..test"], 'invalid host suffix "dev..test" (expected a domain such as localhost or dev.example.com)'],
    [["."], 'invalid host suffix "." (expected a domain such as localhost or dev.example.com)'],
    [["-dev.test"], 'invalid host suffix "-dev.test" (expected a domain such as localhost or dev.example.com)'],
    [["dev_test"], 'invalid host suffix "dev_test" (expected a domain such as localhost or dev.example.com)'],
    [["dev.test:8080"], 'invalid host suffix "dev.test:8080" (expected a domain such as localhost or dev.example.com)'],
    [["*.dev.test"], 'invalid host suffix "*.dev.test" (expected a domain such as localhost or dev.example.com)'],
    [[" , "], "no host suffix given"],
  ] as [string[], string][])("%p -> one line", (values, expected) => {
    expect(parseHostSuffixes(values)).toBe(expected);
  });
});
