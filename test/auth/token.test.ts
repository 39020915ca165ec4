// The shared token: which tokens are accepted at start-up, where a request presents one, the
// comparison, and what is removed before the head goes upstream.

import { describe, expect, test } from "bun:test";
import { presentedTokens, stripCredentials, tokenDigest, tokenMatches, tokenProblem } from "../../src/auth/token";
import { fields } from "../helpers/fields";

const TOKEN = "0123456789abcdef-TOKEN";

describe("tokenProblem", () => {
  test.each([
    [TOKEN, false],
    ["a".repeat(16), false],
    ["A-Z.a_z~0123456789", false],
    ["a".repeat(15), true],
    ["", true],
    ["0123456789abcdef with space", true],
    ["0123456789abcdef;x", true],
    ["0123456789abcdef%41", true],
    ["0123456789abcdef+", true],
    ["0123456789abcdef\u00e9", true],
  ])("%p refused: %p", (token, refused) => {
    const r = tokenProblem(token, "--auth-token");
    expect(r !== null).toBe(refused);
    if (r !== null) {
      expect(r).toStartWith("invalid --auth-token: ");
      if (token !== "") expect(r).not.toContain(token);
      expect(r).not.toContain("\n");
    }
  });
});

describe("tokenMatches compares digests", () => {
  const expected = tokenDigest(TOKEN);
  test.each([
    ["the token", TOKEN, true],
    ["one character more", TOKEN + "x", false],
    ["one character less", TOKEN.slice(0, -1), false],
    ["another case", TOKEN.toUpperCase(), false],
    ["empty", "", false],
    ["10,000 characters", "x".repeat(10_000), false],
  ])("%s", (_, presented, ok) => {
    expect(tokenMatches(expected, presented)).toBe(ok);
  });
});

describe("presentedTokens", () => {
  test.each([
    ["none", [["Host", "x"]], []],
    ["X-Cmux-Token, spaces trimmed", [["X-Cmux-Token", ` ${TOKEN}\t`]], [["X-Cmux-Token", TOKEN]]],
    ["header name in any case", [["x-CMUX-token", TOKEN]], [["X-Cmux-Token", TOKEN]]],
    ["Bearer", [["Proxy-Authorization", `Bearer ${TOKEN}`]], [["Proxy-Authorization", TOKEN]]],
    ["bearer in any case, extra spaces", [["proxy-authorization", `bEaReR   ${TOKEN} `]], [["Proxy-Authorization", TOKEN]]],
    ["Basic counts as a wrong credential", [["Proxy-Authorization", "Basic dXNlcjpwYXNz"]], [["Proxy-Authorization", ""]]],
    ["Bearer without a token", [["Proxy-Authorization", "Bearer"]], [["Proxy-Authorization", ""]]],
    ["the cookie among others", [["Cookie", `a=1; cmux_token=${TOKEN}; b=2`]], [["cookie", TOKEN]]],
    ["a quoted cookie", [["Cookie", `cmux_token="${TOKEN}"`]], [["cookie", TOKEN]]],
    ["a similar cookie name is not it", [["Cookie", `my_cmux_token=${TOKEN}; cmux_tokens=${TOKEN}`]], []],
    ["Authorization is the upstream's, not ours", [["Authorization", `Bearer ${TOKEN}`]], []],
    [
      "at most 8 candidates, the first ones (each costs a hash)",
      [["Cookie", Array.from({ length: 20 }, (_, i) => `cmux_token=c${i}`).join("; ")], ["X-Cmux-Token", "late"]],
      Array.from({ length: 8 }, (_, i) => ["cookie", `c${i}`]),
    ],
    [
      "every source, in order",
      [
        ["Cookie", "cmux_token=c1"],
        ["X-Cmux-Token", "h1"],
        ["Cookie", "x=1; cmux_token=c2"],
      ],
      [
        ["cookie", "c1"],
        ["X-Cmux-Token", "h1"],
        ["cookie", "c2"],
      ],
    ],
  ] as [string, [string, string][], [string, string][]][])("%s", (_, pairs, expected) => {
    expect(presentedTokens(fields(pairs)).map((p) => [p.source, p.value])).toEqual(expected);
  });
});

describe("stripCredentials keeps everything else byte for byte", () => {
  test.each([
    ["nothing to strip", [["Host", "x"], ["Cookie", "a=1; b=2"]], [["Host", "x"], ["Cookie", "a=1; b=2"]]],
    ["Proxy-Authorization goes", [["Host", "x"], ["Proxy-Authorization", "Bearer t"], ["Accept", "*/*"]], [["Host", "x"], ["Accept", "*/*"]]],
    ["Authorization stays", [["Authorization", "Bearer upstream"]], [["Authorization", "Bearer upstream"]]],
    ["only our cookie", [["Cookie", "a=1; cmux_token=t; b=2"]], [["Cookie", "a=1; b=2"]]],
    ["our cookie first", [["Cookie", "cmux_token=t; a=1;b=2"]], [["Cookie", "a=1;b=2"]]],
    ["our cookie last", [["Cookie", "a=\"q v\"; cmux_token=t"]], [["Cookie", 'a="q v"']]],
    ["a field with only our cookie is dropped", [["Cookie", "cmux_token=t"], ["X", "1"]], [["X", "1"]]],
    ["repeated: all of ours", [["Cookie", "cmux_token=a; cmux_token=b; z=9"]], [["Cookie", "z=9"]]],
    ["each Cookie field on its own", [["cookie", "cmux_token=t"], ["Cookie", "k=v; cmux_token=t"]], [["Cookie", "k=v"]]],
    ["a similar name stays", [["Cookie", "xcmux_token=1; cmux_token_2=2"]], [["Cookie", "xcmux_token=1; cmux_token_2=2"]]],
  ] as [string, [string, string][], [string, string][]][])("%s", (_, pairs, expected) => {
    const edits = stripCredentials(fields(pairs));
    // The fields as they go upstream: each edited one with its new value, or gone.
    const out = pairs.flatMap(([n, v], i): [string, string][] => {
      const e = edits?.get(i);
      return e === undefined ? [[n, v]] : e === null ? [] : [[n, e]];
    });
    expect(fields(out)).toEqual(fields(expected));
  });
});
