// /healthz during a graceful shutdown: SIGTERM while a request is in flight. The listeners close at
// once, so the only /healthz that can still be asked is one whose head was already arriving on an
// open connection: it must answer 503 draining (and close), while the in-flight request finishes.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { waitFor } from "../helpers/wait";
import { okResponse, rawUpstream } from "../helpers/net";
import { spawnProxy } from "../helpers/proxy-process";
import { connectClient, waitClient } from "../helpers/raw-client";

/** The receive queue of the proxy's side of a client connection, from /proc/net/tcp. */
function proxyReceiveQueue(proxyPort: number, clientPort: number): number | null {
  for (const line of readFileSync("/proc/net/tcp", "latin1").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !f[1]!.endsWith(`:${proxyPort.toString(16).toUpperCase().padStart(4, "0")}`)) continue;
    if (!f[2]!.endsWith(`:${clientPort.toString(16).toUpperCase().padStart(4, "0")}`)) continue;
    return parseInt(f[4]!.split(":")[1]!, 16);
  }
  return null;
}

test("SIGTERM with a request in flight: /healthz answers 503 draining, the request still finishes", async () => {
  const up = rawUpstream(() => {});
  const p = await spawnProxy(["--listen", "127.0.0.1:0"]);
  try {
    const port = p.ports[0]!;
    const inflight = await connectClient(port);
    inflight.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Cmux-Port-Internal: ${up.port}\r\n\r\n`);
    expect(await waitFor(() => up.conns.some((c) => c.received.includes("\r\n\r\n")), 5000)).toBe(true);

    const probe = await connectClient(port);
    probe.socket.write("GET /healthz HTTP/1.1\r\nHost: cmux.localhost\r\n\r\n");
    expect(await waitClient(probe, (c) => c.text.includes("\r\n\r\nok\n"), 5000)).toBe(true);
    expect(probe.text).toStartWith("HTTP/1.1 200 OK\r\n");
    // The next probe's head is on its way when the signal comes: the proxy has read it (its receive
    // queue is empty) but not its end.
    probe.text = "";
    probe.socket.write("GET /healthz HTTP/1.1\r\nHost: cmux.localhost\r\n");
    const local = probe.socket.localPort;
    expect(await waitFor(() => proxyReceiveQueue(port, local) === 0, 5000)).toBe(true);

    p.proc.kill("SIGTERM");
    expect(await p.waitOutput("SIGTERM: no longer accepting")).toBe(true);
    probe.socket.write("\r\n");
    expect(await waitClient(probe, (c) => c.closedAt !== 0, 5000)).toBe(true);
    expect(probe.text).toStartWith("HTTP/1.1 503 Service Unavailable\r\n");
    expect(probe.text).toContain("\r\nConnection: close\r\n");
    expect(probe.text).toEndWith("\r\n\r\ndraining\n");

    up.conns[0]!.socket.write(okResponse("finished"));
    expect(await waitClient(inflight, (c) => c.text.endsWith("finished"), 5000)).toBe(true);
    expect(inflight.text).toContain("Connection: close\r\n");
    expect(await p.proc.exited).toBe(0);
  } finally {
    await p.stop();
    up.stop();
  }
});
