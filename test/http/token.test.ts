// The lexical pieces: tchar [RFC 9110 §5.6.2] and DIGIT runs read by hand.

import { describe, expect, test } from "bun:test";
import { decimal, isTchar } from "../../src/http/token";

describe("decimal(s, maxDigits): 1 to maxDigits ASCII digits and nothing else, else -1", () => {
  test.each([
    ["0", 5, 0],
    ["8080", 5, 8080],
    ["08080", 5, 8080],
    ["65535", 5, 65535],
    ["123456", 5, -1],
    ["", 5, -1],
    [" 1", 5, -1],
    ["1 ", 5, -1],
    ["+1", 5, -1],
    ["-1", 5, -1],
    ["1e3", 5, -1],
    ["0x5", 5, -1],
    ["٣", 5, -1],
    ["１", 5, -1],
    ["999999999999999", 15, 999999999999999],
    ["9007199254740991", 15, -1],
  ] as [string, number, number][])("%p (max %p) -> %p", (s, max, expected) => {
    expect(decimal(s, max)).toBe(expected);
  });
});

describe("isTchar", () => {
  test("exactly the RFC 9110 token characters among ASCII", () => {
    const tchars = [...Array(128).keys()].filter(isTchar).map((c) => String.fromCharCode(c)).join("");
    expect(tchars).toBe("!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~");
  });
  test("nothing outside ASCII", () => {
    expect([0x80, 0xa0, 0xff, 0x100].some(isTchar)).toBe(false);
  });
});
