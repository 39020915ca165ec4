// A peer that vanishes without a FIN or RST (a laptop asleep, a NAT entry dropped) is reaped by TCP
// keep-alive instead of holding two sockets forever (README "Long-lived streams and vanished
// peers"). The peer sits in a network namespace behind a veth pair; `vanish()` makes it drop every
// packet, so only keep-alive probes can notice. With --tcp-keepalive 1 the kernel sends the first
// probe after 1 s of silence and gives up after Bun's 10 probes 1 s apart: about 11 s.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess, TCPSocketListener } from "bun";
import { createNetNs, HOST_ADDR, NS_ADDR, netnsUnavailable, type NetNs } from "../helpers/netns";
import { startTestProxy, type TestProxy } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { connectClient, waitClient, type RawClient } from "../helpers/raw-client";

const unavailable = netnsUnavailable();
const NS_ECHO_PORT = 4000;
// 1 s idle + 10 probes 1 s apart, measured ~11.3 s here; the bounds leave room on both sides but
// would catch a close that did not come from keep-alive (too early) or never came (too late).
const REAP_MIN_MS = 9_000;
const REAP_MAX_MS = 25_000;

let ns: NetNs;
let clientSide: TestProxy;
let upstreamSide: TestProxy;
let loopbackEcho: TCPSocketListener<{ closedAt: number }>;
const echoConns: { closedAt: number }[] = [];
const procs: Subprocess[] = [];
let tunnelToNs: RawClient;

/** Lines a subprocess prints, read until `want` shows up (bounded). */
async function waitLine(p: Subprocess<"ignore", "pipe", "pipe">, want: string, ms: number): Promise<string> {
  const reader = p.stdout.getReader();
  let text = "";
  const deadline = Date.now() + ms;
  try {
    while (!text.includes(want)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${want}" within ${ms} ms; got ${JSON.stringify(text)}`);
      const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
      if (chunk === null) continue;
      if (chunk.done) throw new Error(`exited before "${want}": ${JSON.stringify(text)} ${await new Response(p.stderr).text()}`);
      text += Buffer.from(chunk.value).toString();
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

/** The `ss -tno` timer kind of the established socket whose local and peer addresses start so. */
function ssTimer(local: string, peer: string): string {
  const out = Bun.spawnSync(["ss", "-tnoH", "state", "established"]).stdout.toString();
  // With a state filter the columns are: Recv-Q Send-Q Local Peer [Process] timer:(...)
  const line = out.split("\n").find((l) => {
    const f = l.trim().split(/\s+/);
    return f[2]?.startsWith(local) === true && f[3]?.startsWith(peer) === true;
  });
  if (line === undefined) return "no such socket";
  return /timer:\(([a-z]+),/.exec(line)?.[1] ?? `no timer in ${JSON.stringify(line.trim())}`;
}

describe.skipIf(unavailable !== null)(`a vanished peer is reaped by TCP keep-alive${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  beforeAll(async () => {
    ns = createNetNs();
    loopbackEcho = Bun.listen<{ closedAt: number }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.data = { closedAt: 0 };
          echoConns.push(s.data);
        },
        data(s, b) {
          s.write(b);
        },
        close(s) {
          s.data.closedAt = performance.now();
        },
      },
    });
    // The client vanishes: the proxy listens where the namespace can reach it.
    clientSide = startTestProxy({ tcpKeepAlive: 1 }, "127.0.0.1", { listen: [{ host: HOST_ADDR, port: 0, family: 4 }] });
    // The upstream vanishes: the proxy's default upstream is the namespace's address.
    upstreamSide = startTestProxy({ tcpKeepAlive: 1 }, NS_ADDR);

    const echo = Bun.spawn(
      ns.exec([
        "python3",
        "-c",
        `import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("${NS_ADDR}", ${NS_ECHO_PORT})); s.listen(4)
print("listening", flush=True)
c,_=s.accept()
while True:
    b=c.recv(65536)
    if not b: break
    c.sendall(b)`,
      ]),
      { stdout: "pipe", stderr: "pipe" },
    );
    procs.push(echo);
    await waitLine(echo, "listening", 10_000);

    const client = Bun.spawn(
      ns.exec([
        "python3",
        "-c",
        `import socket,time
c=socket.create_connection(("${HOST_ADDR}", ${clientSide.port}))
c.sendall(b"CONNECT x:1 HTTP/1.1\\r\\nHost: x:1\\r\\nX-Cmux-Port-Internal: ${loopbackEcho.port}\\r\\n\\r\\nping")
got=b""
while not got.endswith(b"ping"): got+=c.recv(65536)
print("tunnel", flush=True)
time.sleep(120)`,
      ]),
      { stdout: "pipe", stderr: "pipe" },
    );
    procs.push(client);
    await waitLine(client, "tunnel", 10_000);

    tunnelToNs = await connectClient(upstreamSide.port);
    tunnelToNs.socket.write(`CONNECT x:1 HTTP/1.1\r\nHost: x:1\r\nX-Cmux-Port-Internal: ${NS_ECHO_PORT}\r\n\r\nping`);
    expect(await waitClient(tunnelToNs, (c) => c.text.endsWith("ping"), 10_000)).toBe(true);
  });

  afterAll(async () => {
    for (const p of procs) p.kill();
    await Promise.all(procs.map((p) => Promise.race([p.exited, Bun.sleep(5000)])));
    tunnelToNs?.socket.end();
    loopbackEcho?.stop(true);
    await clientSide?.stop();
    await upstreamSide?.stop();
    ns?.destroy();
  });

  test("the proxy's sockets to both peers probe with keep-alive (SO_KEEPALIVE, shown by ss -o)", () => {
    const nsClient = ssTimer(`${HOST_ADDR}:${clientSide.port}`, `${NS_ADDR}:`);
    const nsUpstream = ssTimer(`${HOST_ADDR}:`, `${NS_ADDR}:${NS_ECHO_PORT}`);
    expect(nsClient).toBe("keepalive");
    expect(nsUpstream).toBe("keepalive");
  });

  test(
    "after the namespace stops answering, both tunnels are torn down within the keep-alive budget",
    async () => {
      expect(echoConns.length).toBe(1);
      expect(echoConns[0]!.closedAt).toBe(0);
      expect(tunnelToNs.closedAt).toBe(0);
      ns.vanish();
      const t0 = performance.now();
      await waitFor(() => echoConns[0]!.closedAt !== 0 && tunnelToNs.closedAt !== 0, REAP_MAX_MS + 5_000, 100);
      const clientReaped = echoConns[0]!.closedAt - t0;
      const upstreamReaped = tunnelToNs.closedAt - t0;
      console.log(`vanished client reaped after ${Math.round(clientReaped)} ms, vanished upstream after ${Math.round(upstreamReaped)} ms`);
      expect(clientReaped).toBeGreaterThan(REAP_MIN_MS);
      expect(clientReaped).toBeLessThan(REAP_MAX_MS);
      expect(upstreamReaped).toBeGreaterThan(REAP_MIN_MS);
      expect(upstreamReaped).toBeLessThan(REAP_MAX_MS);
    },
    REAP_MAX_MS + 15_000,
  );
});
