// Regressions from a security review of the access policy and forwarded headers, each over real
// sockets against the proxy as a process: the token must not be written to the access log, the
// ?cmux_token= redirect must stay on the host it was asked on, a client must not spoof
// X-Forwarded-* by spelling the name with underscores (CGI/WSGI upstreams fold `_` and `-`), a
// spelling of the token that is not the token must not be accepted, and a client without the token
// must not be able to write lines of tens of kilobytes to the proxy's log at will.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { okResponse, rawExchange, rawUpstream } from "../helpers/net";
import { spawnProxy, type ProxyProcess } from "../helpers/proxy-process";
import { waitFor } from "../helpers/wait";

const TOKEN = "review2-token-0123456789abcdef";
const head = (t: string) => t.includes("\r\n\r\n");

let up: ReturnType<typeof rawUpstream>;
let px: ProxyProcess;

beforeAll(async () => {
  up = rawUpstream((c) => {
    if (c.received.includes("\r\n\r\n")) c.socket.end(okResponse("ok", ["Connection: close"]));
  });
  px = await spawnProxy(["--listen", "127.0.0.1:0", "--access-log", "--auth-token", TOKEN, "--auth-loopback", "--allow-ports", String(up.port)]);
});
afterAll(async () => {
  await px.stop();
  up.stop();
});

async function send(request: string): Promise<string> {
  return (await rawExchange(px.ports[0]!, [request], { until: head, timeoutMs: 5000 })).text;
}

describe("the token stays out of the access log", () => {
  test.each([
    ["a good ?cmux_token= (302)", `GET /a?cmux_token=${TOKEN}&k=v HTTP/1.1\r\nHost: workspace-1-3000.localhost\r\n\r\n`, 302],
    ["?cmux_token= on a POST (400)", `POST /b?cmux_token=${TOKEN} HTTP/1.1\r\nHost: workspace-1-3000.localhost\r\nContent-Length: 0\r\n\r\n`, 400],
  ])("%s", async (_name, request, status) => {
    const marker = `marker-${status}`;
    const text = await send(request.replace(" HTTP/1.1", `&${marker} HTTP/1.1`));
    expect(text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    // The line is written within the access log's 200 ms batch.
    expect(await px.waitOutput(marker, 3000)).toBe(true);
    const line = px.output().split("\n").find((l) => l.includes(marker))!;
    expect(line).not.toContain(TOKEN);
  });
});

describe("the ?cmux_token= redirect stays on the host it was asked on", () => {
  test.each([["//evil.example/"], ["/\\evil.example/"]])("target %s", async (path) => {
    const text = await send(`GET ${path}?cmux_token=${TOKEN} HTTP/1.1\r\nHost: workspace-1-3000.localhost\r\n\r\n`);
    const location = /\r\nLocation: ([^\r]*)\r\n/.exec(text)?.[1];
    expect(location).toBeDefined();
    // A browser reads `//host` and `/\host` as another host (WHATWG URL: `\` is `/` in http URLs).
    expect(location!.startsWith("/")).toBe(true);
    expect(/^[/\\][/\\]/.test(location!)).toBe(false);
  });
});

test("a string that is not the token is not accepted as the token (?cmux_token= decoded beyond latin1)", async () => {
  // Each character shifted by 0x100: latin1 keeps the low byte, so it hashes as the token.
  const lookalike = [...TOKEN].map((c) => String.fromCharCode(c.charCodeAt(0) + 0x100)).join("");
  const text = await send(`GET /?cmux_token=${encodeURIComponent(lookalike)} HTTP/1.1\r\nHost: workspace-1-3000.localhost\r\n\r\n`);
  expect(text.startsWith("HTTP/1.1 401 ")).toBe(true);
});

test("an untrusted client cannot spoof X-Forwarded-* with underscores in the name", async () => {
  const before = up.all().length;
  const text = await send(
    `GET / HTTP/1.1\r\nX-Cmux-Token: ${TOKEN}\r\nX-Cmux-Port-Internal: ${up.port}\r\n` +
      "X_Forwarded_For: 6.6.6.6\r\nX_Forwarded_Proto: https\r\nX_Forwarded_Host: bank.example\r\nConnection: close\r\n\r\n",
  );
  expect(text.startsWith("HTTP/1.1 200 ")).toBe(true);
  expect(await waitFor(() => up.all().length > before, 3000)).toBe(true);
  const received = up.all().slice(before);
  // WSGI/CGI servers (Python's wsgiref, PHP) read `X_Forwarded_For` as HTTP_X_FORWARDED_FOR and join
  // it with the proxy's own value: `6.6.6.6,127.0.0.1`, the first being what apps take as the client.
  expect(received).not.toContain("6.6.6.6");
  expect(received).not.toContain("bank.example");
  expect(received.toLowerCase()).not.toContain("x_forwarded_proto");
});

test("a client without the token cannot write long log lines at will (route errors before the gate)", async () => {
  const before = px.output().length;
  const junk = "a".repeat(60_000);
  for (let i = 0; i < 10; i++) {
    const text = await send(`GET / HTTP/1.1\r\nX-Cmux-Port-Internal: ${junk}\r\n\r\n`);
    expect(text.startsWith("HTTP/1.1 400 ")).toBe(true);
  }
  // Bound the wait on the 400's own line of the last request: the log is written before the answer.
  await px.waitOutput("invalid port", 2000);
  const added = px.output().slice(before);
  // The head parser clips what it quotes to 40 characters; ten requests should not add 600 KB.
  expect(added.length).toBeLessThan(10 * 1024);
});
