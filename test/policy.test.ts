// Who may reach what: port lists, the settings from flags and environment, the decision for a routed
// request (token, then --workspace-only, then ports) and the start-up warning.

import { describe, expect, test } from "bun:test";
import type { ListenAddress } from "../src/config";
import { HttpError } from "../src/http/errors";
import type { RequestHead } from "../src/http/head-parser";
import {
  checkAccess,
  exposureWarning,
  parsePolicy,
  parsePortList,
  TokenRedirect,
  type AccessRequest,
  type Policy,
  type PolicyFlags,
} from "../src/policy";
import { tokenDigest } from "../src/auth/token";
import { fields } from "./helpers/fields";

const TOKEN = "s3cret-token-0123456789";

describe("parsePortList", () => {
  test.each([
    ["5432", [{ from: 5432, to: 5432 }]],
    ["3000-9999,5432", [{ from: 3000, to: 9999 }, { from: 5432, to: 5432 }]],
    [" 1 - 1024 , 65535 ", [{ from: 1, to: 1024 }, { from: 65535, to: 65535 }]],
    ["80,,443,", [{ from: 80, to: 80 }, { from: 443, to: 443 }]],
    ["0080", [{ from: 80, to: 80 }]],
    ["7-7", [{ from: 7, to: 7 }]],
  ])("%p", (text, expected) => {
    expect(parsePortList(text, "--allow-ports")).toEqual(expected);
  });

  test.each([
    ["", "--allow-ports is empty (expected ports or ranges such as 3000-9999,5432)"],
    [" , ", "--allow-ports is empty (expected ports or ranges such as 3000-9999,5432)"],
    ["0", 'invalid --allow-ports item "0" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["65536", 'invalid --allow-ports item "65536" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["80,http", 'invalid --allow-ports item "http" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["3000-", 'invalid --allow-ports item "3000-" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["-80", 'invalid --allow-ports item "-80" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["1-2-3", 'invalid --allow-ports item "1-2-3" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["8 0", 'invalid --allow-ports item "8 0" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["+80", 'invalid --allow-ports item "+80" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["9999-3000", 'invalid --allow-ports range "9999-3000" (the first port must not be above the second)'],
  ])("%p is refused in one line", (text, line) => {
    expect(parsePortList(text, "--allow-ports")).toBe(line);
  });
});

const noFile = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
};
const files: Record<string, string> = { "/run/token": `${TOKEN}\n`, "/run/short": "abc\n", "/run/empty": "" };
const readFile = (path: string): string => (path in files ? files[path]! : noFile(path));

type Shape = { allow: [number, number][] | null; deny: [number, number][]; workspaceOnly: boolean; token: string | null; authLoopback: boolean };

function shape(p: Policy | null | string): Shape | null | string {
  if (p === null || typeof p === "string") return p;
  return {
    allow: p.allow === null ? null : p.allow.map((r) => [r.from, r.to]),
    deny: p.deny.map((r) => [r.from, r.to]),
    workspaceOnly: p.workspaceOnly,
    token: p.token === null ? null : p.token.equals(tokenDigest(TOKEN)) ? "TOKEN" : "other",
    authLoopback: p.authLoopback,
  };
}

const base: Shape = { allow: null, deny: [], workspaceOnly: false, token: null, authLoopback: false };

describe("parsePolicy", () => {
  test.each([
    ["nothing set: no policy", {}, {}, null],
    ["empty variables count as unset", {}, { CMUX_ALLOW_PORTS: "", CMUX_AUTH_TOKEN: "" }, null],
    ["--allow-ports", { allowPorts: "3000-3999" }, {}, { ...base, allow: [[3000, 3999]] }],
    ["CMUX_ALLOW_PORTS", {}, { CMUX_ALLOW_PORTS: "5173" }, { ...base, allow: [[5173, 5173]] }],
    ["the flag wins over the variable", { allowPorts: "80" }, { CMUX_ALLOW_PORTS: "5173" }, { ...base, allow: [[80, 80]] }],
    ["--deny-ports", { denyPorts: "22,5432" }, {}, { ...base, deny: [[22, 22], [5432, 5432]] }],
    ["CMUX_DENY_PORTS", {}, { CMUX_DENY_PORTS: "1-1023" }, { ...base, deny: [[1, 1023]] }],
    ["--workspace-only", { workspaceOnly: true }, {}, { ...base, workspaceOnly: true }],
    ["CMUX_WORKSPACE_ONLY=1", {}, { CMUX_WORKSPACE_ONLY: "1" }, { ...base, workspaceOnly: true }],
    ["CMUX_WORKSPACE_ONLY=0 is off", {}, { CMUX_WORKSPACE_ONLY: "0" }, null],
    ["--auth-token", { authToken: TOKEN }, {}, { ...base, token: "TOKEN" }],
    ["CMUX_AUTH_TOKEN", {}, { CMUX_AUTH_TOKEN: TOKEN }, { ...base, token: "TOKEN" }],
    ["--auth-token-file, newline trimmed", { authTokenFile: "/run/token" }, {}, { ...base, token: "TOKEN" }],
    ["CMUX_AUTH_TOKEN_FILE", {}, { CMUX_AUTH_TOKEN_FILE: "/run/token" }, { ...base, token: "TOKEN" }],
    ["a token flag wins over the variables", { authTokenFile: "/run/token" }, { CMUX_AUTH_TOKEN: "x", CMUX_AUTH_TOKEN_FILE: "y" }, { ...base, token: "TOKEN" }],
    ["--auth-loopback with a token", { authToken: TOKEN, authLoopback: true }, {}, { ...base, token: "TOKEN", authLoopback: true }],
    ["CMUX_AUTH_LOOPBACK=1", {}, { CMUX_AUTH_TOKEN: TOKEN, CMUX_AUTH_LOOPBACK: "1" }, { ...base, token: "TOKEN", authLoopback: true }],
    [
      "everything",
      { allowPorts: "3000-9999", denyPorts: "5432", workspaceOnly: true, authToken: TOKEN },
      {},
      { allow: [[3000, 9999]], deny: [[5432, 5432]], workspaceOnly: true, token: "TOKEN", authLoopback: false },
    ],
    ["a bad --allow-ports", { allowPorts: "x" }, {}, 'invalid --allow-ports item "x" (expected a port 1-65535 or a range such as 3000-9999)'],
    ["a bad CMUX_DENY_PORTS names the variable", {}, { CMUX_DENY_PORTS: "2-1" }, 'invalid CMUX_DENY_PORTS range "2-1" (the first port must not be above the second)'],
    ["an empty --deny-ports flag", { denyPorts: "" }, {}, "--deny-ports is empty (expected ports or ranges such as 3000-9999,5432)"],
    ["both token flags", { authToken: TOKEN, authTokenFile: "/run/token" }, {}, "give --auth-token or --auth-token-file, not both"],
    ["both token variables", {}, { CMUX_AUTH_TOKEN: TOKEN, CMUX_AUTH_TOKEN_FILE: "/run/token" }, "set CMUX_AUTH_TOKEN or CMUX_AUTH_TOKEN_FILE, not both"],
    ["a missing token file", { authTokenFile: "/run/nope" }, {}, 'cannot read --auth-token-file "/run/nope": ENOENT'],
    ["a missing CMUX_AUTH_TOKEN_FILE names the variable", {}, { CMUX_AUTH_TOKEN_FILE: "/run/nope" }, 'cannot read CMUX_AUTH_TOKEN_FILE "/run/nope": ENOENT'],
    [
      "a short token in the file",
      { authTokenFile: "/run/short" },
      {},
      'invalid token in --auth-token-file "/run/short": use at least 16 characters from A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)',
    ],
    [
      "an empty token file",
      { authTokenFile: "/run/empty" },
      {},
      'invalid token in --auth-token-file "/run/empty": use at least 16 characters from A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)',
    ],
    ["a short --auth-token", { authToken: "short" }, {}, "invalid --auth-token: use at least 16 characters from A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)"],
    ["a bad CMUX_AUTH_TOKEN", {}, { CMUX_AUTH_TOKEN: "has space 0123456789" }, "invalid CMUX_AUTH_TOKEN: use at least 16 characters from A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)"],
    ["--auth-loopback alone", { authLoopback: true }, {}, "--auth-loopback needs a token (--auth-token, --auth-token-file or CMUX_AUTH_TOKEN)"],
  ] as [string, PolicyFlags, Record<string, string>, Shape | null | string][])("%s", (_, flags, env, expected) => {
    expect(shape(parsePolicy(flags, env, readFile))).toEqual(expected);
  });
});

function policy(over: Partial<Policy>): Policy {
  return { allow: null, deny: [], workspaceOnly: false, token: null, authLoopback: false, ...over };
}

function head(method: string, target: string, pairs: [string, string][] = []): RequestHead {
  return { method, target, minor: 1, ...fields(pairs) };
}

const REMOTE = "10.250.0.2";
const req = (over: Partial<AccessRequest> = {}): AccessRequest => ({ port: 3000, workspace: false, kind: "request", peer: REMOTE, ...over });

type Outcome = "allow" | [number, string] | ["redirect", string, string];

function outcome(r: HttpError | TokenRedirect | null): Outcome {
  if (r === null) return "allow";
  if (r instanceof TokenRedirect) return ["redirect", r.location, r.setCookie];
  return [r.status, r.reason];
}

const OUTSIDE = (p: number): [number, string] => [403, `port ${p} is not allowed (outside --allow-ports)`];
const DENIED = (p: number): [number, string] => [403, `port ${p} is not allowed (refused by --deny-ports)`];
const WS_ONLY: [number, string] = [403, "no workspace named and --workspace-only is set: send X-Cmux-Workspace-Internal or use Host <workspace>-<port>.localhost"];
const MISSING: [number, string] = [401, "missing token: send X-Cmux-Token: <token>, or open the URL once with ?cmux_token=<token> in a browser"];
const MISSING_407: [number, string] = [407, "proxy authentication required: send Proxy-Authorization: Bearer <token>"];

describe("checkAccess: ports and workspaces", () => {
  const ports = policy({ allow: [{ from: 3000, to: 3999 }], deny: [{ from: 3306, to: 3306 }] });
  test.each([
    ["allowed", ports, req({ port: 3000 }), "allow"],
    ["last port of the range", ports, req({ port: 3999 }), "allow"],
    ["below the range", ports, req({ port: 2999 }), OUTSIDE(2999)],
    ["above the range", ports, req({ port: 4000 }), OUTSIDE(4000)],
    ["deny wins inside allow", ports, req({ port: 3306 }), DENIED(3306)],
    ["by CONNECT too", ports, req({ port: 5432, kind: "connect" }), OUTSIDE(5432)],
    ["by upgrade too", ports, req({ port: 22, kind: "upgrade" }), OUTSIDE(22)],
    ["for a workspace too", ports, req({ port: 22, workspace: true }), OUTSIDE(22)],
    ["from loopback too", ports, req({ port: 22, peer: "127.0.0.1" }), OUTSIDE(22)],
    ["deny only", policy({ deny: [{ from: 5432, to: 5432 }] }), req({ port: 5432 }), DENIED(5432)],
    ["deny only, another port", policy({ deny: [{ from: 5432, to: 5432 }] }), req({ port: 5433 }), "allow"],
    ["workspace-only, none named", policy({ workspaceOnly: true }), req(), WS_ONLY],
    ["workspace-only, CONNECT", policy({ workspaceOnly: true }), req({ kind: "connect" }), WS_ONLY],
    ["workspace-only, a workspace", policy({ workspaceOnly: true }), req({ workspace: true }), "allow"],
    ["workspace-only before the ports", policy({ workspaceOnly: true, deny: [{ from: 3000, to: 3000 }] }), req(), WS_ONLY],
  ] as [string, Policy, AccessRequest, Outcome][])("%s", (_, p, r, expected) => {
    expect(outcome(checkAccess(p, head("GET", "/"), r))).toEqual(expected);
  });
});

describe("checkAccess: the token", () => {
  const tok = policy({ token: tokenDigest(TOKEN) });
  const strict = policy({ token: tokenDigest(TOKEN), authLoopback: true });
  const all = policy({ token: tokenDigest(TOKEN), deny: [{ from: 5432, to: 5432 }], workspaceOnly: true });
  const cookie = `cmux_token=${TOKEN}; HttpOnly; SameSite=Lax; Path=/`;
  test.each([
    ["none sent", tok, head("GET", "/"), req(), MISSING],
    ["X-Cmux-Token", tok, head("GET", "/", [["X-Cmux-Token", TOKEN]]), req(), "allow"],
    ["a wrong X-Cmux-Token", tok, head("GET", "/", [["X-Cmux-Token", "nope"]]), req(), [401, "wrong token in X-Cmux-Token (send the proxy's token)"]],
    ["the cookie", tok, head("GET", "/", [["Cookie", `a=1; cmux_token=${TOKEN}`]]), req(), "allow"],
    ["a wrong cookie", tok, head("GET", "/", [["Cookie", "cmux_token=old"]]), req(), [401, "wrong token in cookie (send the proxy's token)"]],
    ["one good among wrong ones", tok, head("GET", "/", [["Cookie", "cmux_token=old"], ["X-Cmux-Token", TOKEN]]), req(), "allow"],
    ["Bearer on a plain request", tok, head("GET", "http://x/", [["Proxy-Authorization", `Bearer ${TOKEN}`]]), req(), "allow"],
    ["CONNECT without: 407", tok, head("CONNECT", "x:1"), req({ kind: "connect" }), MISSING_407],
    ["CONNECT with Bearer", tok, head("CONNECT", "x:1", [["Proxy-Authorization", `Bearer ${TOKEN}`]]), req({ kind: "connect" }), "allow"],
    ["CONNECT with X-Cmux-Token", tok, head("CONNECT", "x:1", [["X-Cmux-Token", TOKEN]]), req({ kind: "connect" }), "allow"],
    [
      "CONNECT with Basic",
      tok,
      head("CONNECT", "x:1", [["Proxy-Authorization", "Basic dTpw"]]),
      req({ kind: "connect" }),
      [407, "wrong token in Proxy-Authorization (send Proxy-Authorization: Bearer <the proxy's token>)"],
    ],
    ["upgrade with the cookie", tok, head("GET", "/ws", [["Cookie", `cmux_token=${TOKEN}`]]), req({ kind: "upgrade" }), "allow"],
    ["upgrade without", tok, head("GET", "/ws"), req({ kind: "upgrade" }), MISSING],
    ["loopback needs none", tok, head("GET", "/"), req({ peer: "127.0.0.1" }), "allow"],
    ["any of 127/8", tok, head("GET", "/"), req({ peer: "127.18.0.9" }), "allow"],
    ["::1", tok, head("GET", "/"), req({ peer: "::1" }), "allow"],
    ["v4-mapped loopback", tok, head("GET", "/"), req({ peer: "::ffff:127.0.0.1" }), "allow"],
    ["v4-mapped remote", tok, head("GET", "/"), req({ peer: "::ffff:10.250.0.2" }), MISSING],
    ["IPv6 remote", tok, head("GET", "/"), req({ peer: "fd00::2" }), MISSING],
    ["--auth-loopback: loopback too", strict, head("GET", "/"), req({ peer: "127.0.0.1" }), MISSING],
    ["--auth-loopback with the token", strict, head("GET", "/", [["X-Cmux-Token", TOKEN]]), req({ peer: "127.0.0.1" }), "allow"],
    ["the token before the policy: no port is revealed", all, head("GET", "/"), req({ port: 5432 }), MISSING],
    ["with the token, the policy still holds", all, head("GET", "/", [["X-Cmux-Token", TOKEN]]), req({ port: 5432, workspace: true }), DENIED(5432)],
    ["with the token, workspace-only still holds", all, head("GET", "/", [["X-Cmux-Token", TOKEN]]), req(), WS_ONLY],
    ["?cmux_token=: redirect without it", tok, head("GET", "/app?a=1&cmux_token=" + TOKEN), req(), ["redirect", "/app?a=1", cookie]],
    ["?cmux_token= on HEAD", tok, head("HEAD", "/?cmux_token=" + TOKEN), req(), ["redirect", "/", cookie]],
    ["?cmux_token= from loopback is answered too", tok, head("GET", "/x?cmux_token=" + TOKEN), req({ peer: "127.0.0.1" }), ["redirect", "/x", cookie]],
    ["?cmux_token= before the port policy", all, head("GET", "/?cmux_token=" + TOKEN), req({ port: 5432 }), ["redirect", "/", cookie]],
    ["a wrong ?cmux_token=", tok, head("GET", "/?cmux_token=nope"), req(), [401, "wrong token in ?cmux_token= (open the URL with the proxy's token)"]],
    ["a wrong ?cmux_token= from loopback", tok, head("GET", "/?cmux_token=nope"), req({ peer: "127.0.0.1" }), [401, "wrong token in ?cmux_token= (open the URL with the proxy's token)"]],
    ["?cmux_token= on POST", tok, head("POST", "/?cmux_token=" + TOKEN), req(), [400, "?cmux_token= works only on GET and HEAD requests (send the X-Cmux-Token header instead)"]],
    ["?cmux_token= on an upgrade", tok, head("GET", "/ws?cmux_token=" + TOKEN), req({ kind: "upgrade" }), [400, "?cmux_token= works only on GET and HEAD requests (send the X-Cmux-Token header instead)"]],
    ["no token configured: the parameter is the app's", policy({}), head("GET", "/?cmux_token=x"), req(), "allow"],
    ["no token configured: nobody needs one", policy({ deny: [{ from: 1, to: 1 }] }), head("GET", "/"), req(), "allow"],
  ] as [string, Policy, RequestHead, AccessRequest, Outcome][])("%s", (_, p, h, r, expected) => {
    const got = outcome(checkAccess(p, h, r));
    expect(got).toEqual(expected);
    if (Array.isArray(got) && got[0] !== "redirect") expect(got[1]).not.toContain(TOKEN);
  });
});

const v4 = (host: string, port: number): ListenAddress => ({ host, port, family: 4 });
const v6 = (host: string, port: number): ListenAddress => ({ host, port, family: 6 });
const WARNING_TAIL =
  "not loopback and no access policy is set: every loopback port of this machine is reachable from the network " +
  "(narrow it with --allow-ports, --deny-ports, --workspace-only or --auth-token, or listen on 127.0.0.1)";

describe("exposureWarning", () => {
  test.each([
    ["the default", [v4("0.0.0.0", 8080)], null, `0.0.0.0:8080 is ${WARNING_TAIL}`],
    ["loopback only", [v4("127.0.0.1", 8080), v6("::1", 8080)], null, null],
    ["another loopback address", [v4("127.18.0.1", 8080)], null, null],
    ["a LAN address", [v4("127.0.0.1", 8080), v4("192.168.1.5", 8080)], null, `192.168.1.5:8080 is ${WARNING_TAIL}`],
    ["both wildcards", [v4("0.0.0.0", 8080), v6("::", 8080)], null, `0.0.0.0:8080, [::]:8080 are ${WARNING_TAIL}`],
    ["a port policy silences it", [v4("0.0.0.0", 8080)], policy({ allow: [{ from: 3000, to: 3000 }] }), null],
    ["a token silences it", [v4("0.0.0.0", 8080)], policy({ token: tokenDigest(TOKEN) }), null],
    ["workspace-only silences it", [v4("0.0.0.0", 8080)], policy({ workspaceOnly: true }), null],
  ] as [string, ListenAddress[], Policy | null, string | null][])("%s", (_, listen, p, expected) => {
    const got = exposureWarning(listen, p);
    expect(got).toBe(expected);
    if (got !== null) expect(got).not.toContain("\n");
  });
});
