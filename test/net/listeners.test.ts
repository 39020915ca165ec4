// The /proc/net/tcp{,6} parser against lines captured on this machine (python3 sockets bound to
// ::1, ::, ::ffff:127.0.0.1, 127.18.0.3 and 0.0.0.0, plus connections in other states), and the
// readers against real sockets this test opens.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseProcNetTcp, readListeners, socketOwners, type Listener } from "../../src/net/listeners";

const TCP_HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ";
const TCP6_HEADER =
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

describe("parseProcNetTcp, IPv4 lines", () => {
  test.each<[string, string, Listener[]]>([
    [
      "127.0.0.1 LISTEN",
      "   2: 0100007F:8A8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21093 1 00000000c5ff5ba0 100 0 0 10 0                     ",
      [{ family: 4, address: "127.0.0.1", port: 0x8a8b, inode: 21093 }],
    ],
    [
      "0.0.0.0 LISTEN",
      "   3: 00000000:CE49 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21474 1 00000000cf5c5f0c 100 0 0 10 0                     ",
      [{ family: 4, address: "0.0.0.0", port: 52809, inode: 21474 }],
    ],
    [
      "a workspace IP LISTEN",
      "   0: 0300127F:C583 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21473 1 00000000459b0737 100 0 0 10 0                     ",
      [{ family: 4, address: "127.18.0.3", port: 50563, inode: 21473 }],
    ],
    [
      "127.0.18.1 LISTEN (byte order)",
      "   1: 0100127F:9647 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 14996 1 00000000d0c1d7c5 100 0 0 10 0                     ",
      [{ family: 4, address: "127.18.0.1", port: 0x9647, inode: 14996 }],
    ],
    [
      "ESTABLISHED is ignored",
      " 380: 0100007F:BB22 0100007F:BC0F 01 00000000:00000000 00:00000000 00000000     0        0 21475 2 00000000d12640ef 20 0 0 10 -1                     ",
      [],
    ],
    [
      "TIME_WAIT is ignored",
      "   6: 0100127F:9647 0100007F:A518 06 00000000:00000000 03:0000110B 00000000     0        0 0 3 00000000ac3cf18c                                      ",
      [],
    ],
    ["the header is skipped", TCP_HEADER, []],
    ["an empty line", "", []],
    ["a truncated line", "   2: 0100007F:8A8B 00000000:0000 0A 00000000:00000000", []],
    ["an address too short", "   2: 00007F:8A8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21093 1", []],
    ["a port not hex", "   2: 0100007F:8AXB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21093 1", []],
    ["an inode not digits", "   2: 0100007F:8A8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 x21093 1", []],
    ["an IPv6 address in the IPv4 file", "   1: 00000000000000000000000001000000:E0BF 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21470 1", []],
  ])("%s", (_name, line, want) => {
    expect(parseProcNetTcp(line, 4)).toEqual(want);
  });
});

describe("parseProcNetTcp, IPv6 lines", () => {
  test.each<[string, string, Listener[]]>([
    [
      "::1 LISTEN",
      "   2: 00000000000000000000000001000000:E0BF 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21470 1 0000000025ed0e7c 100 0 0 10 0",
      [{ family: 6, address: "::1", port: 57535, inode: 21470 }],
    ],
    [
      ":: LISTEN",
      "   1: 00000000000000000000000000000000:BC0F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21471 1 0000000093d48e99 100 0 0 10 0",
      [{ family: 6, address: "::", port: 48143, inode: 21471 }],
    ],
    [
      "::ffff:127.0.0.1 LISTEN is the IPv4 address",
      "   0: 0000000000000000FFFF00000100007F:CABF 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21472 1 00000000cd6c04fe 100 0 0 10 0",
      [{ family: 4, address: "127.0.0.1", port: 51903, inode: 21472 }],
    ],
    [
      "::ffff:127.18.1.2 LISTEN (a shim-moved dual-stack bind)",
      "   0: 0000000000000000FFFF00000201127F:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 00000000cd6c04fe 100 0 0 10 0",
      [{ family: 4, address: "127.18.1.2", port: 3000, inode: 777 }],
    ],
    [
      "2001:db8::ff00:42:8329",
      "   0: B80D01200000000000FF000029834200:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1",
      [{ family: 6, address: "2001:db8::ff00:42:8329", port: 80, inode: 5 }],
    ],
    [
      "1:0:0:1:0:0:0:1 (the longest zero run is compressed)",
      "   0: 00000100010000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8 1",
      [{ family: 6, address: "1:0:0:1::1", port: 80, inode: 8 }],
    ],
    [
      "1:0:0:1:1:0:0:1 (of equal runs, the first)",
      "   0: 00000100010000000000010001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9 1",
      [{ family: 6, address: "1::1:1:0:0:1", port: 80, inode: 9 }],
    ],
    [
      "an address of the wrong length",
      "   0: 000080FE00000000000000000200010000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1",
      [],
    ],
    [
      "2001:db8:0:1:1:1:1:1 (a single zero group is not compressed)",
      "   0: B80D0120010000000100010001000100:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1",
      [{ family: 6, address: "2001:db8:0:1:1:1:1:1", port: 80, inode: 6 }],
    ],
    [
      "fe80::1234:5678",
      "   0: 000080FE000000000000000078563412:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1",
      [{ family: 6, address: "fe80::1234:5678", port: 80, inode: 7 }],
    ],
    [
      "ESTABLISHED v4-mapped is ignored",
      "   3: 0000000000000000FFFF00000100007F:BC0F 0000000000000000FFFF00000100007F:BB22 01 00000000:00000000 00:00000000 00000000     0        0 21476 1 00000000de4f4cdc 20 0 0 10 -1",
      [],
    ],
    [
      "FIN_WAIT1 is ignored",
      "   4: 00000000000000000000000001000000:ABBC 00000000000000000000000001000000:E0BF 04 00000001:00000000 01:00000014 00000000     0        0 0 2 0000000036cbe1fc 20 0 0 10 -1",
      [],
    ],
    [
      "CLOSE_WAIT is ignored",
      "   5: 00000000000000000000000001000000:E0BF 00000000000000000000000001000000:ABBC 08 00000000:00000001 00:00000000 00000000     0        0 21478 2 00000000e27a5d82 20 0 1 10 -1",
      [],
    ],
    ["the header is skipped", TCP6_HEADER, []],
    [
      "an IPv4 address in the IPv6 file",
      "   2: 0100007F:8A8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21093 1 00000000c5ff5ba0 100 0 0 10 0",
      [],
    ],
  ])("%s", (_name, line, want) => {
    expect(parseProcNetTcp(line, 6)).toEqual(want);
  });
});

test("a whole file: header, listeners and other states", () => {
  const text = [
    TCP6_HEADER,
    "   0: 0000000000000000FFFF00000100007F:CABF 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21472 1 00000000cd6c04fe 100 0 0 10 0",
    "   1: 00000000000000000000000000000000:BC0F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21471 1 0000000093d48e99 100 0 0 10 0",
    "   3: 0000000000000000FFFF00000100007F:BC0F 0000000000000000FFFF00000100007F:BB22 01 00000000:00000000 00:00000000 00000000     0        0 21476 1 00000000de4f4cdc 20 0 0 10 -1",
    "",
  ].join("\n");
  expect(parseProcNetTcp(text, 6)).toEqual([
    { family: 4, address: "127.0.0.1", port: 51903, inode: 21472 },
    { family: 6, address: "::", port: 48143, inode: 21471 },
  ]);
});

describe("readListeners and socketOwners on this machine", () => {
  test("a server this test starts is listed with its inode, and its owner is this process", async () => {
    const v4 = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const v6 = Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } });
    try {
      const { listeners, errors } = await readListeners();
      expect(errors).toEqual([]);
      const mine4 = listeners.find((l) => l.address === "127.0.0.1" && l.port === v4.port);
      const mine6 = listeners.find((l) => l.address === "::1" && l.port === v6.port);
      expect(mine4?.family).toBe(4);
      expect(mine6?.family).toBe(6);
      const { owners } = await socketOwners(new Set([mine4!.inode, mine6!.inode]));
      expect(owners.get(mine4!.inode)?.pid).toBe(process.pid);
      expect(owners.get(mine6!.inode)?.pid).toBe(process.pid);
      expect(owners.get(mine4!.inode)?.command).toContain("bun");
    } finally {
      v4.stop(true);
      v6.stop(true);
    }
    // Closed sockets leave the list.
    const after = (await readListeners()).listeners;
    expect(after.some((l) => l.address === "127.0.0.1" && l.port === v4.port)).toBe(false);
  });

  test("files that cannot be read are error lines, not exceptions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cmux-proc-"));
    try {
      const r = await readListeners(dir);
      expect(r.listeners).toEqual([]);
      expect(r.errors).toEqual([
        `cannot read ${dir}/net/tcp (ENOENT): its listening sockets are not shown`,
        `cannot read ${dir}/net/tcp6 (ENOENT): its listening sockets are not shown`,
      ]);
      expect((await socketOwners(new Set([1]), join(dir, "missing"))).errors[0]).toMatch(/^cannot list .*missing \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test("an unprivileged reader gets one permission line for other users' processes", async () => {
    // This test's own socket belongs to root; uid 65534 may not read root's /proc/PID/fd.
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const mine = (await readListeners()).listeners.find((l) => l.address === "127.0.0.1" && l.port === server.port)!;
      const script = `const { socketOwners } = await import(${JSON.stringify(new URL("../../src/net/listeners.ts", import.meta.url).pathname)});
        const r = await socketOwners(new Set([${mine.inode}]));
        console.log(JSON.stringify({ owners: [...r.owners.keys()], errors: r.errors }));`;
      const proc = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], {
        stdout: "pipe",
        stderr: "pipe",
        cwd: "/",
      });
      const timer = setTimeout(() => proc.kill(), 20_000);
      const [out, code] = [await new Response(proc.stdout).text(), await proc.exited];
      clearTimeout(timer);
      expect(code).toBe(0);
      const r = JSON.parse(out) as { owners: number[]; errors: string[] };
      expect(r.owners).toEqual([]);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/^cannot read the open files of \d+ process(es)? \(permission denied\): their sockets show no process$/);
    } finally {
      server.stop(true);
    }
  });
});
