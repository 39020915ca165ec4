// The browser's way in: `?cmux_token=` found and removed from the URL, the cookie found and removed
// from Cookie fields, the Set-Cookie value and the redirect's bytes.

import { describe, expect, test } from "bun:test";
import { cookieValues, queryToken, setCookieValue, stripCookie, tokenRedirect } from "../../src/auth/browser";

describe("queryToken", () => {
  test.each([
    ["/", null],
    ["/a?b=1", null],
    ["/cmux_token=x", null],
    ["/a?xcmux_token=1", null],
    ["/a?cmux_tokens=1", null],
    ["/?cmux_token=T", { values: ["T"], rest: "/" }],
    ["/app?cmux_token=T", { values: ["T"], rest: "/app" }],
    ["/app?a=1&cmux_token=T&b=%20x", { values: ["T"], rest: "/app?a=1&b=%20x" }],
    ["/app?cmux_token=T&a=1", { values: ["T"], rest: "/app?a=1" }],
    ["/app?a=1&cmux_token=T", { values: ["T"], rest: "/app?a=1" }],
    ["/app?a&&b=&cmux_token=T", { values: ["T"], rest: "/app?a&&b=" }],
    ["/app?cmux_token=%54%2D", { values: ["T-"], rest: "/app" }],
    ["/app?cmux_token=%E0%A4%A", { values: ["%E0%A4%A"], rest: "/app" }],
    ["/app?cmux_token", { values: [""], rest: "/app" }],
    ["/app?cmux_token=A&cmux_token=B", { values: ["A", "B"], rest: "/app" }],
    ["/app?cmux_token=T#frag", { values: ["T"], rest: "/app#frag" }],
    ["/p/cmux_token?cmux_token=T", { values: ["T"], rest: "/p/cmux_token" }],
    ["http://h.localhost:8080/x?y=1&cmux_token=T", { values: ["T"], rest: "http://h.localhost:8080/x?y=1" }],
  ])("%p", (target, expected) => {
    expect(queryToken(target)).toEqual(expected);
  });
});

describe("cookieValues", () => {
  test.each([
    ["a=1", []],
    ["cmux_token=T", ["T"]],
    ["a=1;cmux_token=T", ["T"]],
    ["a=1;  cmux_token = T ;b", ["T"]],
    ['cmux_token="T"', ["T"]],
    ["cmux_token=A; cmux_token=B", ["A", "B"]],
    ["cmux_token", [""]],
    ["xcmux_token=A; cmux_token_=B", []],
  ])("%p -> %p", (field, expected) => {
    expect(cookieValues(field)).toEqual(expected);
  });
});

describe("stripCookie", () => {
  test.each([
    ["a=1; b=2", "a=1; b=2"],
    ["a=1;b=2", "a=1;b=2"],
    ["a=1; cmux_token=T; b=2", "a=1; b=2"],
    ["cmux_token=T; a=1", "a=1"],
    ["a=1; cmux_token=T", "a=1"],
    ["a=1;cmux_token=T;b=2", "a=1;b=2"],
    ["sess=abc%3D%3D; cmux_token=T; theme=\"dark mode\"", 'sess=abc%3D%3D; theme="dark mode"'],
    ["cmux_token=T", null],
    ["cmux_token=A; cmux_token=B", null],
    ["xcmux_token=T", "xcmux_token=T"],
  ])("%p -> %p", (field, expected) => {
    expect(stripCookie(field)).toBe(expected);
  });
});

test("the cookie is HttpOnly, SameSite=Lax, for the whole host and no other", () => {
  const v = setCookieValue("T0123456789abcdef");
  expect(v).toBe("cmux_token=T0123456789abcdef; HttpOnly; SameSite=Lax; Path=/");
  expect(v.toLowerCase()).not.toContain("domain=");
});

test("tokenRedirect: 302 to the location, the cookie, no body, not cached", () => {
  expect(Buffer.from(tokenRedirect("/app?a=1", "cmux_token=T; HttpOnly; SameSite=Lax; Path=/")).toString("latin1")).toBe(
    "HTTP/1.1 302 Found\r\n" +
      "Location: /app?a=1\r\n" +
      "Set-Cookie: cmux_token=T; HttpOnly; SameSite=Lax; Path=/\r\n" +
      "Cache-Control: no-store\r\n" +
      "Content-Length: 0\r\n" +
      "Connection: close\r\n\r\n",
  );
});
