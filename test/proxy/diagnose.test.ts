// The 502's diagnosis (README "Errors the proxy answers itself"): sentences about what listens near a
// refused target, from a table of listening sockets as src/net/listeners.ts reports them.

import { describe, expect, test } from "bun:test";
import { diagnoseRefused, type ListeningAddress } from "../../src/proxy/diagnose";

function l(text: string): ListeningAddress {
  const v6 = /^\[(.*)\]:(\d+)$/.exec(text);
  if (v6 !== null) return { family: 6, address: v6[1]!, port: Number(v6[2]) };
  const [address, port] = text.split(":") as [string, string];
  return { family: 4, address, port: Number(port) };
}

const W = "127.18.0.1";

describe("diagnoseRefused", () => {
  test.each([
    [
      "a workspace target, the server on 127.0.0.1 (started without the shim)",
      W,
      ["127.0.0.1:5173", "127.0.0.1:8080"],
      [
        "nothing listens on 127.18.0.1:5173",
        "127.0.0.1:5173 has a listener: a server started without the shim? (start it in the workspace with LD_PRELOAD, or leave out the workspace to reach it)",
        "in this workspace (127.18.0.1), no port listens at all",
      ],
    ],
    [
      "a workspace target, the server on ::1 only",
      W,
      ["[::1]:5173", `${W}:3000`],
      [
        "nothing listens on 127.18.0.1:5173",
        "[::1]:5173 has a listener: a server bound to ::1 only, which the shim cannot move into a workspace (bind it to 127.0.0.1 or localhost)",
        "in this workspace (127.18.0.1), port 3000 listens",
      ],
    ],
    [
      "the workspace serves other ports (sorted, once each)",
      W,
      [`${W}:8000`, `${W}:3000`, `${W}:8000`, "0.0.0.0:22"],
      ["nothing listens on 127.18.0.1:5173", "in this workspace (127.18.0.1), ports 3000 and 8000 listen"],
    ],
    [
      "many ports: the first eight, and a count",
      W,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((p) => `${W}:${p}`),
      ["nothing listens on 127.18.0.1:5173", "in this workspace (127.18.0.1), ports 1, 2, 3, 4, 5, 6, 7, 8 and 2 more listen"],
    ],
    [
      "another workspace serves the port",
      W,
      ["127.18.0.2:5173", "127.18.0.3:5173"],
      ["nothing listens on 127.18.0.1:5173", "127.18.0.2:5173 and 127.18.0.3:5173 have listeners (another workspace)", "in this workspace (127.18.0.1), no port listens at all"],
    ],
    [
      "a listener off loopback",
      W,
      ["10.0.0.5:5173"],
      ["nothing listens on 127.18.0.1:5173", "10.0.0.5:5173 has a listener (not on loopback)", "in this workspace (127.18.0.1), no port listens at all"],
    ],
    [
      "the default upstream: both families were tried, a workspace has it",
      "127.0.0.1",
      ["127.18.0.7:5173", "127.0.0.1:8080", "[::1]:9229"],
      ["127.18.0.7:5173 has a listener (in a workspace: name it with X-Cmux-Workspace-Internal)"],
    ],
    ["the default upstream, nothing on the port anywhere: the 502's own reason says it all", "127.0.0.1", ["127.0.0.1:8080"], []],
    ["localhost counts as the loopback pair", "localhost", ["127.18.0.7:5173"], ["127.18.0.7:5173 has a listener (in a workspace: name it with X-Cmux-Workspace-Internal)"]],
    ["an IPv6 target", "::1", ["127.0.0.1:5173"], ["127.0.0.1:5173 listens now: the server may have just started, try again"]],
    ["a listener serving the target now (it started meanwhile)", W, [`${W}:5173`], ["127.18.0.1:5173 listens now: the server may have just started, try again"]],
    ["a wildcard serves every workspace", W, ["0.0.0.0:5173"], ["0.0.0.0:5173 listens now: the server may have just started, try again"]],
    ["a dual-stack wildcard too", W, ["[::]:5173"], ["[::]:5173 listens now: the server may have just started, try again"]],
    ["a host name is not diagnosed", "dev.internal", ["127.0.0.1:5173"], []],
  ] as [string, string, string[], string[]][])("%s", (_name, host, listeners, expected) => {
    expect(diagnoseRefused(host, 5173, listeners.map(l))).toEqual(expected);
  });
});
