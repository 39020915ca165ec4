// Every workspace vector (test/vectors/workspace-ip.json) over a real socket, through the workspace
// header and through the Host name, with the name's UTF-8 bytes on the wire: the request must arrive
// at a listener on exactly the vector's IP (each answers with the address it was reached on).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import vectors from "../vectors/workspace-ip.json";
import { workspaceIp } from "../../src/workspace";
import { rawExchange, startTestProxy, type TestProxy } from "../helpers/net";

interface Vector {
  name: string;
  ip?: string;
  error?: boolean;
}

// Header values cannot carry CR, LF or other controls but HTAB [RFC 9110 §5.5].
const sendable = (vectors.cases as Vector[]).filter((v) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(v.name));
const ips = [...new Set(sendable.flatMap((v) => (v.ip === undefined ? [] : [v.ip])))];

let proxy: TestProxy;
let port = 0;
const listeners: TCPSocketListener<undefined>[] = [];

beforeAll(() => {
  proxy = startTestProxy();
  for (const ip of ips) {
    const l = Bun.listen({
      hostname: ip,
      port,
      socket: {
        data(s) {
          const body = `reached ${ip}`;
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
          s.end();
        },
      },
    });
    port = l.port;
    listeners.push(l);
  }
});
afterAll(async () => {
  for (const l of listeners) l.stop(true);
  await proxy.stop();
});

const utf8 = (s: string) => Buffer.from(s, "utf8");
// The client connection stays open after either answer: stop at the end of its body.
const answered = { until: (t: string) => /reached [0-9.]+$|\r\n\r\n[^\n]*\n$/.test(t), timeoutMs: 5000 };

function expectReached(text: string, v: Vector): void {
  if (v.ip !== undefined) {
    expect(text).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(text).toEndWith(`reached ${v.ip}`);
  } else {
    expect(text).toStartWith("HTTP/1.1 400 ");
  }
}

test("some vectors are left out only for bytes a header cannot carry", () => {
  expect(sendable.length).toBeGreaterThanOrEqual((vectors.cases as Vector[]).length - 2);
});

describe("X-Cmux-Workspace-Internal", () => {
  test.each(sendable.map((v) => [JSON.stringify(v.name), v] as [string, Vector]))("%s", async (_n, v) => {
    const head = Buffer.concat([
      utf8(`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${port}\r\nX-Cmux-Workspace-Internal: `),
      utf8(v.name),
      utf8("\r\n\r\n"),
    ]);
    const r = await rawExchange(proxy.port, [head], answered);
    expect(r.timedOut).toBe(false);
    expectReached(r.text, v);
  });
});

// In a Host, labels before the route label belong to the application (README "Dev servers"): a
// name with a dot is reachable by the header only, and routes by its last label in a Host.
const hostSendable = sendable.filter((v) => !v.name.includes("."));

describe("Host: <workspace>-<port>.localhost", () => {
  test("a dotted name routes by its last label: feature.branch_x-<port>.localhost is branch_x", async () => {
    const ip = workspaceIp("branch_x");
    if (!ip.ok) throw new Error(ip.reason);
    const r = await rawExchange(proxy.port, [utf8(`GET / HTTP/1.1\r\nHost: feature.branch_x-${port}.localhost:8080\r\n\r\n`)], answered);
    expect(r.text).toContain(ips.includes(ip.ip) ? `reached ${ip.ip}` : `upstream ${ip.ip}:${port} refused the connection`);
  });

  test.each(hostSendable.map((v) => [JSON.stringify(v.name), v] as [string, Vector]))("%s", async (_n, v) => {
    const head = Buffer.concat([utf8("GET / HTTP/1.1\r\nHost: "), utf8(v.name), utf8(`-${port}.localhost:8080\r\n\r\n`)]);
    const r = await rawExchange(proxy.port, [head], answered);
    expect(r.timedOut).toBe(false);
    expectReached(r.text, v);
  });
});

test("a workspace name that is not UTF-8 is a 400 naming it", async () => {
  const head = Buffer.concat([
    utf8(`GET / HTTP/1.1\r\nX-Cmux-Port-Internal: ${port}\r\nX-Cmux-Workspace-Internal: workspace-`),
    Buffer.from([0xff, 0xfe]),
    utf8("\r\n\r\n"),
  ]);
  const r = await rawExchange(proxy.port, [head], { timeoutMs: 5000 });
  expect(r.text).toStartWith("HTTP/1.1 400 ");
  expect(r.text).toContain("not UTF-8 text");
});
