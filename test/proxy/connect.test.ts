// Connecting with family fallback (README "Servers on ::1 only"): which addresses a target tries,
// the 502's wording for what each answered, and UpstreamPool.connect against real loopback servers
// bound on one family only.

import { afterEach, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { ConnectFailure, connectFailureReason, fixedAddresses, resolvedAddresses, triesNext, type Attempt } from "../../src/proxy/connect";
import { Deadlines } from "../../src/net/deadlines";
import { UpstreamPool, type UpstreamOwner } from "../../src/proxy/upstream";

describe("fixedAddresses: the loopback hosts try both families, other IPs one, names resolve", () => {
  test.each([
    ["127.0.0.1", ["127.0.0.1", "::1"]],
    ["localhost", ["127.0.0.1", "::1"]],
    ["LocalHost", ["127.0.0.1", "::1"]],
    ["::1", ["::1", "127.0.0.1"]],
    ["127.18.0.1", ["127.18.0.1"]],
    ["127.0.0.2", ["127.0.0.2"]],
    ["10.0.0.5", ["10.0.0.5"]],
    ["2001:db8::1", ["2001:db8::1"]],
    ["dev.internal", null],
    ["localhost.localdomain", null],
  ] as [string, string[] | null][])("%p -> %p", (host, expected) => {
    expect(fixedAddresses(host)).toEqual(expected);
  });
});

describe("resolvedAddresses: both families in the resolver's order, once each", () => {
  test.each([
    [[{ address: "10.0.0.1" }, { address: "fd00::1" }], ["10.0.0.1", "fd00::1"]],
    [[{ address: "fd00::1" }, { address: "10.0.0.1" }, { address: "fd00::1" }], ["fd00::1", "10.0.0.1"]],
    [[], []],
  ] as [{ address: string }[], string[]][])("%p -> %p", (answers, expected) => {
    expect(resolvedAddresses(answers)).toEqual(expected);
  });
});

describe("triesNext: only failures that come at once move on to the next address", () => {
  test.each([
    ["ECONNREFUSED", true],
    ["EADDRNOTAVAIL", true],
    ["ENETUNREACH", true],
    ["EHOSTUNREACH", true],
    ["ETIMEDOUT", false],
    ["ECONNRESET", false],
    ["EMFILE", false],
  ] as [string, boolean][])("%p -> %p", (code, expected) => {
    expect(triesNext(code)).toBe(expected);
  });
});

describe("connectFailureReason names every address tried", () => {
  test.each([
    ["127.0.0.1", [], "upstream 127.0.0.1:3222 could not be reached"],
    ["127.18.0.1", [{ address: "127.18.0.1", code: "ECONNREFUSED" }], "upstream 127.18.0.1:3222 refused the connection"],
    [
      "127.0.0.1",
      [
        { address: "127.0.0.1", code: "ECONNREFUSED" },
        { address: "::1", code: "ECONNREFUSED" },
      ],
      "upstream 127.0.0.1:3222 refused the connection (tried 127.0.0.1:3222 and [::1]:3222)",
    ],
    [
      "::1",
      [
        { address: "::1", code: "ECONNREFUSED" },
        { address: "127.0.0.1", code: "ECONNREFUSED" },
      ],
      "upstream [::1]:3222 refused the connection (tried [::1]:3222 and 127.0.0.1:3222)",
    ],
    [
      "localhost",
      [
        { address: "127.0.0.1", code: "ECONNREFUSED" },
        { address: "::1", code: "EADDRNOTAVAIL" },
      ],
      "upstream localhost:3222 could not be reached: 127.0.0.1:3222 refused the connection, [::1]:3222 failed: EADDRNOTAVAIL",
    ],
    ["dev.internal", [{ address: "10.0.0.1", code: "ECONNREFUSED" }], "upstream dev.internal:3222 refused the connection (tried 10.0.0.1:3222)"],
    ["dev.internal", [{ address: "dev.internal", code: "ENOTFOUND" }], "upstream dev.internal:3222 failed: ENOTFOUND"],
    [
      "dev.internal",
      [
        { address: "10.0.0.1", code: "ECONNREFUSED" },
        { address: "fd00::1", code: "ECONNREFUSED" },
        { address: "10.0.0.2", code: "ECONNREFUSED" },
      ],
      "upstream dev.internal:3222 refused the connection (tried 10.0.0.1:3222, [fd00::1]:3222 and 10.0.0.2:3222)",
    ],
  ] as [string, Attempt[], string][])("%p, case %#", (host, attempts, expected) => {
    expect(connectFailureReason(host, 3222, attempts)).toBe(expected);
    expect(new ConnectFailure(host, 3222, attempts).message).toBe(expected);
  });
});

// ---- real sockets ------------------------------------------------------------------------------

const owner: UpstreamOwner = { onUpstreamData() {}, onUpstreamDrain() {}, onUpstreamEnd() {}, onUpstreamClose() {} };
const started: TCPSocketListener<unknown>[] = [];
const deadlines = new Deadlines();
const pool = new UpstreamPool(deadlines, 4, 8, null, 60);

afterEach(() => {
  for (const l of started.splice(0)) l.stop(true);
});

/** A server on one address only; returns its port and the addresses its clients came to. */
function serverOn(hostname: string): { port: number; reached: string[] } {
  const reached: string[] = [];
  const l = Bun.listen({ hostname, port: 0, socket: { open(s) { reached.push(s.localAddress); }, data() {} } });
  started.push(l);
  return { port: l.port, reached };
}

/** A port with nothing listening on either loopback family right now. */
function refusingPort(): number {
  const a = Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } });
  const port = a.port;
  a.stop(true);
  return port;
}

describe("UpstreamPool.connect over real loopback sockets", () => {
  test.each([
    ["127.0.0.1", "::1"],
    ["localhost", "::1"],
    ["::1", "127.0.0.1"],
    ["127.0.0.1", "127.0.0.1"],
  ])("target %p reaches a server bound on %p only", async (host, bound) => {
    const srv = serverOn(bound);
    const up = await pool.connect({ host, port: srv.port }, owner);
    try {
      expect(up.socket.remoteAddress).toBe(bound);
      expect(up.key).toBe(`${host}:${srv.port}`);
    } finally {
      up.close();
    }
  });

  test("nothing on either family: the failure names both addresses", async () => {
    const port = refusingPort();
    const err = await pool.connect({ host: "127.0.0.1", port }, owner).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectFailure);
    expect((err as ConnectFailure).code).toBe("ECONNREFUSED");
    expect((err as ConnectFailure).message).toBe(`upstream 127.0.0.1:${port} refused the connection (tried 127.0.0.1:${port} and [::1]:${port})`);
  });

  test("a workspace IP gets no fallback to ::1 (that server is outside the workspace)", async () => {
    const srv = serverOn("::1");
    const err = await pool.connect({ host: "127.18.0.9", port: srv.port }, owner).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as ConnectFailure).message).toBe(`upstream 127.18.0.9:${srv.port} refused the connection`);
    expect(srv.reached).toEqual([]);
  });

  test("nothing is remembered: the next connect finds the server on the other family", async () => {
    const v6 = serverOn("::1");
    const first = await pool.connect({ host: "127.0.0.1", port: v6.port }, owner);
    first.close();
    started.splice(0).forEach((l) => l.stop(true));
    const v4 = Bun.listen({ hostname: "127.0.0.1", port: v6.port, socket: { data() {} } });
    started.push(v4);
    const second = await pool.connect({ host: "127.0.0.1", port: v6.port }, owner);
    try {
      expect(second.socket.remoteAddress).toBe("127.0.0.1");
    } finally {
      second.close();
    }
  });
});
