// Descriptor exhaustion: the proxy runs under `ulimit -n 256` and is offered 400 connections. Bun
// retries a failed accept() at once, forever (~20,000 accept4 -> EMFILE a second), so the proxy stops
// listening before its descriptors run out (src/net/fd-budget.ts): it must stay up, keep a reserve to
// serve the clients it already has (their upstream connections), not burn CPU, and listen and serve
// again once connections close.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { cliWithFdLimit } from "../helpers/fd-limit";
import { okResponse, rawExchange, statuses } from "../helpers/net";
import { cpuSeconds, fdCount } from "../helpers/proc-stats";
import { waitFor } from "../helpers/wait";
import { spawnProxy, type ProxyProcess } from "../helpers/proxy-process";
import { connectClient, waitClient, type RawClient } from "../helpers/raw-client";
import { trackedUpstream, type TrackedUpstream } from "../helpers/tracked-upstream";

const LIMIT = 256;
const OFFERED = 400;

let proxy: ProxyProcess;
let port: number;
let up: TrackedUpstream;
let control: RawClient;
const crowd: Socket<undefined>[] = [];
let refused = 0;

beforeAll(async () => {
  proxy = await spawnProxy(["--listen", "127.0.0.1:0"], {}, cliWithFdLimit(LIMIT));
  port = proxy.ports[0]!;
  up = trackedUpstream((c) => {
    if (c.received.endsWith("\r\n\r\n")) c.socket.write(okResponse("served", ["Connection: close"]));
  });
  // A keep-alive client that got in before the crowd.
  control = await connectClient(port);
  control.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`);
  expect(await waitClient(control, (c) => c.text.endsWith("served"), 3000)).toBe(true);
  for (let i = 0; i < OFFERED; i++) {
    try {
      crowd.push(await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } }));
    } catch {
      refused++; // the proxy had stopped listening
    }
  }
  // It took what its budget allows, then stopped listening. Where the kernel completes handshakes on
  // its own (backlog), the connects above can all finish before the proxy has accepted them.
  expect(await proxy.waitOutput("near the open-file limit")).toBe(true);
  expect(fdCount(proxy.proc.pid)).toBeGreaterThanOrEqual(LIMIT / 2);
});
afterAll(async () => {
  for (const s of crowd) s.end();
  control?.socket.end();
  up?.stop();
  await proxy?.stop();
});

describe(`${OFFERED} connections offered to a proxy limited to ${LIMIT} descriptors`, () => {
  test("it stays up below the limit and still serves the clients it has (their upstream sockets come from the reserve)", async () => {
    expect(fdCount(proxy.proc.pid)).toBeLessThan(LIMIT);
    expect(refused + crowd.length).toBe(OFFERED);
    const before = control.text.length;
    control.socket.write(`GET /again HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`);
    expect(await waitClient(control, (c) => c.text.slice(before).endsWith("served"), 5000)).toBe(true);
    expect(statuses(control.text.slice(before))).toEqual([200]);
    expect(proxy.proc.exitCode).toBeNull();
  });

  test("it does not spin while connections wait in the backlog", async () => {
    const t0 = cpuSeconds(proxy.proc.pid);
    await Bun.sleep(2000);
    const used = cpuSeconds(proxy.proc.pid) - t0;
    console.log(`fd exhaustion: ${crowd.length} accepted, ${refused} refused; proxy used ${used.toFixed(2)} s of CPU in 2 s while full`);
    expect(used).toBeLessThan(0.3);
  });

  test("once the connections close it accepts and serves again", async () => {
    for (const s of crowd.splice(0)) s.end();
    expect(await waitFor(() => fdCount(proxy.proc.pid) < 32, 10_000, 50)).toBe(true);
    // Not "accepting new connections": the "not accepting new connections" line above contains it.
    expect(await proxy.waitOutput("below the open-file limit again")).toBe(true);
    const r = await rawExchange(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`], { until: (s) => s.endsWith("served") });
    expect(statuses(r.text)).toEqual([200]);
    const t0 = cpuSeconds(proxy.proc.pid);
    await Bun.sleep(1000);
    expect(cpuSeconds(proxy.proc.pid) - t0).toBeLessThan(0.2);
    expect(proxy.proc.exitCode).toBeNull();
  });
});
