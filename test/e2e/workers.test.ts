// --workers N: N supervised processes share the listen address.

import { expect, test } from "bun:test";
import { freePort, okResponse, rawUpstream } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { runCli, spawnProxy } from "../helpers/proxy-process";

/** The worker pids: children of the supervisor. */
function childPids(pid: number): number[] {
  const text = require("node:fs").readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8") as string;
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

test("two workers serve one port; a killed worker is replaced; SIGTERM stops all and exits 0", async () => {
  const up = rawUpstream((conn) => {
    if (conn.received.endsWith("\r\n\r\n")) conn.socket.write(okResponse(`ok`));
  });
  const port = freePort();
  const p = await spawnProxy(["--listen", `127.0.0.1:${port}`, "--workers", "2"]);
  try {
    expect(await waitFor(() => childPids(p.proc.pid).length === 2 && (p.output().match(/listening on/g) ?? []).length === 2, 10_000)).toBe(true);
    const served = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/`, { headers: { "X-Cmux-Port-Internal": String(up.port), Connection: "close" } }).then((r) => r.text())),
    );
    expect(served).toEqual(new Array(20).fill("ok"));

    const [first] = childPids(p.proc.pid);
    process.kill(first!, "SIGKILL");
    expect(await waitFor(() => childPids(p.proc.pid).length === 2 && !childPids(p.proc.pid).includes(first!), 10_000)).toBe(true);
    expect(await p.waitOutput("restarting")).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers: { "X-Cmux-Port-Internal": String(up.port) } })).text()).toBe("ok");

    const workers = childPids(p.proc.pid);
    p.proc.kill("SIGTERM");
    expect(await p.proc.exited).toBe(0);
    for (const w of workers) expect(require("node:fs").existsSync(`/proc/${w}`)).toBe(false);
  } finally {
    await p.stop();
    up.stop();
  }
});

test("a worker that cannot start stops the whole proxy with a non-zero exit", async () => {
  const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const r = await runCli(["--listen", `127.0.0.1:${busy.port}`, "--workers", "2"]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`127.0.0.1:${busy.port}`);
  } finally {
    busy.stop(true);
  }
});
