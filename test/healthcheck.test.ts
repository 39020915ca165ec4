// `cmux-proxy healthcheck`: what it asks, and its exit code against real listeners (a stand-in
// /healthz here; test/e2e/admin.test.ts asks the real proxy).

import { describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { probe, probeTarget, type ProbeTarget } from "../src/healthcheck";
import { freePort } from "./helpers/net";
import { runCli } from "./helpers/proxy-process";

describe("probeTarget", () => {
  test.each<[string | undefined, string, ProbeTarget | RegExp]>([
    [undefined, "0.0.0.0:8080", { address: "127.0.0.1", port: 8080, path: "/healthz", host: "cmux.localhost:8080" }],
    [undefined, "0.0.0.0:8080,127.0.0.1:8080", { address: "127.0.0.1", port: 8080, path: "/healthz", host: "cmux.localhost:8080" }],
    [undefined, "[::]:9000", { address: "::1", port: 9000, path: "/healthz", host: "cmux.localhost:9000" }],
    [undefined, "127.0.0.5:81,0.0.0.0:82", { address: "127.0.0.5", port: 81, path: "/healthz", host: "cmux.localhost:81" }],
    [undefined, "nope", /invalid listen address "nope"/],
    ["http://127.0.0.1:9000/healthz", "", { address: "127.0.0.1", port: 9000, path: "/healthz", host: "cmux.localhost:9000" }],
    ["http://[::1]:9000/healthz?x=1", "", { address: "::1", port: 9000, path: "/healthz?x=1", host: "cmux.localhost:9000" }],
    ["http://0.0.0.0:9000/healthz", "", { address: "127.0.0.1", port: 9000, path: "/healthz", host: "cmux.localhost:9000" }],
    ["http://cmux.localhost:9000/healthz", "", { address: "127.0.0.1", port: 9000, path: "/healthz", host: "cmux.localhost:9000" }],
    ["http://admin.localhost/healthz", "", { address: "127.0.0.1", port: 80, path: "/healthz", host: "admin.localhost" }],
    ["http://proxy.internal:8080/healthz", "", { address: "proxy.internal", port: 8080, path: "/healthz", host: "proxy.internal:8080" }],
    ["https://127.0.0.1/healthz", "", /only http:\/\/ is served by the proxy/],
    ["127.0.0.1:8080", "", /^invalid --url "127.0.0.1:8080" \(expected e.g. http:\/\/127.0.0.1:8080\/healthz\)$/],
    ["http://", "", /invalid --url "http:\/\/"/],
  ])("%p %p", (url, listen, want) => {
    const r = probeTarget(url, listen, "cmux.localhost");
    if (want instanceof RegExp) expect(r as string).toMatch(want);
    else expect(r).toEqual(want);
  });
});

/** A stand-in /healthz: records each request head, answers `status`. */
function standIn(status: number, body: string, heads: string[]): TCPSocketListener<undefined> {
  return Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s, buf) {
        heads.push(buf.toString("latin1"));
        s.end(`HTTP/1.1 ${status} X\r\nContent-Length: ${body.length + 1}\r\nConnection: close\r\n\r\n${body}\n`);
      },
    },
  });
}

describe("probe over a real socket", () => {
  test.each([
    [200, "ok"],
    [503, "draining"],
  ])("%p %p", async (status, body) => {
    const heads: string[] = [];
    const s = standIn(status, body, heads);
    try {
      const r = await probe({ address: "127.0.0.1", port: s.port, path: "/healthz", host: `cmux.localhost:${s.port}` }, 5000);
      expect(r).toEqual({ status, body });
      expect(heads[0]).toStartWith(`GET /healthz HTTP/1.1\r\nHost: cmux.localhost:${s.port}\r\n`);
    } finally {
      s.stop(true);
    }
  });

  test("nothing listening: the reason", async () => {
    const port = freePort();
    expect(await probe({ address: "127.0.0.1", port, path: "/healthz", host: "x" }, 5000)).toBe(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
  });

  test("a listener that never answers: the timeout", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const t0 = performance.now();
      expect(await probe({ address: "127.0.0.1", port: silent.port, path: "/healthz", host: "x" }, 300)).toBe(`no answer from 127.0.0.1:${silent.port} within 0.3s`);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      silent.stop(true);
    }
  });

  test("not HTTP: said so", async () => {
    const junk = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open(s) { s.end("SSH-2.0-x\r\n"); }, data() {} } });
    try {
      expect(await probe({ address: "127.0.0.1", port: junk.port, path: "/", host: "x" }, 5000)).toBe(`no HTTP response from 127.0.0.1:${junk.port}`);
    } finally {
      junk.stop(true);
    }
  });
});

describe("the subcommand's exit code", () => {
  test("0 on 200, with the body on stdout; CMUX_LISTEN and CMUX_ADMIN_HOST give the default target", async () => {
    const heads: string[] = [];
    const s = standIn(200, "ok", heads);
    try {
      const r = await runCli(["healthcheck"], { CMUX_LISTEN: `0.0.0.0:${s.port}`, CMUX_ADMIN_HOST: "Admin.Test" });
      expect(r).toEqual({ code: 0, out: "ok\n" });
      expect(heads[0]).toContain(`\r\nHost: admin.test:${s.port}\r\n`);
    } finally {
      s.stop(true);
    }
  });

  test("1 on 503, naming what answered", async () => {
    const s = standIn(503, "draining", []);
    try {
      const r = await runCli(["healthcheck", "--url", `http://127.0.0.1:${s.port}/healthz`]);
      expect(r).toEqual({ code: 1, out: `cmux-proxy healthcheck: http://127.0.0.1:${s.port}/healthz (Host cmux.localhost:${s.port}) answered 503: draining\n` });
    } finally {
      s.stop(true);
    }
  });

  test.each([
    [["healthcheck", "--url", "http://127.0.0.1:PORT/healthz"], "cannot connect to 127.0.0.1:PORT: ECONNREFUSED"],
    [["healthcheck", "--url", "ftp://x/"], `invalid --url "ftp://x/": only http:// is served by the proxy`],
    [["healthcheck", "--timeout", "0"], `invalid --timeout "0" (expected a positive number of seconds)`],
    [["healthcheck", "--admin-host", "a b"], `invalid --admin-host "a b" (expected a host name such as cmux.localhost, without a port)`],
  ])("1 when nothing listens or the arguments are wrong: %p", async (args, msg) => {
    const port = String(freePort());
    const r = await runCli(args.map((a) => a.replace("PORT", port)));
    expect(r).toEqual({ code: 1, out: `cmux-proxy healthcheck: ${msg.replace("PORT", port)}\n` });
  });
});
