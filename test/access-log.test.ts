// The access-log line, text and JSON, for the kinds of exchange it records.

import { describe, expect, test } from "bun:test";
import { formatAccessJson, formatAccessText, type AccessRecord } from "../src/access-log";

const END = Date.parse("2026-12-01T22:00:00.123Z");
const base: AccessRecord = {
  end: END,
  client: "127.0.0.1",
  method: "GET",
  path: "/api?q=1",
  kind: "http",
  route: "host",
  workspace: "workspace-a",
  upstream: "127.18.176.32:3000",
  status: 200,
  bytesIn: 312,
  bytesOut: 1048,
  durationMs: 2.41749,
  connectMs: 0.3114,
};

describe("formatAccessText", () => {
  test.each<[string, Partial<AccessRecord>, string]>([
    [
      "a forwarded request",
      {},
      `2026-12-01T22:00:00.123Z 127.0.0.1 "GET /api?q=1" 200 http route=host workspace=workspace-a upstream=127.18.176.32:3000 in=312 out=1048 ms=2.417 connect_ms=0.311`,
    ],
    [
      "default upstream, pooled connection",
      { route: "header", workspace: null, upstream: "127.0.0.1:5173", connectMs: null },
      `2026-12-01T22:00:00.123Z 127.0.0.1 "GET /api?q=1" 200 http route=header workspace=- upstream=127.0.0.1:5173 in=312 out=1048 ms=2.417 connect_ms=-`,
    ],
    [
      "a routing error",
      { route: "none", workspace: null, upstream: null, status: 400, bytesOut: 120, connectMs: null },
      `2026-12-01T22:00:00.123Z 127.0.0.1 "GET /api?q=1" 400 http route=none workspace=- upstream=- in=312 out=120 ms=2.417 connect_ms=-`,
    ],
    [
      "a tunnel closing after a minute",
      { kind: "tunnel", method: "CONNECT", path: "ignored:443", route: "header", status: 200, bytesIn: 1 << 20, bytesOut: 5, durationMs: 60000.5 },
      `2026-12-01T22:00:00.123Z 127.0.0.1 "CONNECT ignored:443" 200 tunnel route=header workspace=workspace-a upstream=127.18.176.32:3000 in=1048576 out=5 ms=60000.5 connect_ms=0.311`,
    ],
    [
      "an upgrade",
      { kind: "upgrade", status: 101, path: "/ws" },
      `2026-12-01T22:00:00.123Z 127.0.0.1 "GET /ws" 101 upgrade route=host workspace=workspace-a upstream=127.18.176.32:3000 in=312 out=1048 ms=2.417 connect_ms=0.311`,
    ],
    [
      "cut before any status",
      { status: 0 },
      `2026-12-01T22:00:00.123Z 127.0.0.1 "GET /api?q=1" 0 http route=host workspace=workspace-a upstream=127.18.176.32:3000 in=312 out=1048 ms=2.417 connect_ms=0.311`,
    ],
    [
      "quotes, spaces and non-ASCII stay on one line, escaped",
      { path: '/a"b\\c', workspace: "workspace-ä x", client: "::ffff:127.0.0.1" },
      `2026-12-01T22:00:00.123Z ::ffff:127.0.0.1 "GET /a\\x22b\\x5cc" 200 http route=host workspace="workspace-\\xe4 x" upstream=127.18.176.32:3000 in=312 out=1048 ms=2.417 connect_ms=0.311`,
    ],
  ])("%s", (_name, over, want) => {
    const line = formatAccessText({ ...base, ...over });
    expect(line).toBe(want);
    expect(line).not.toContain("\n");
  });
});

describe("formatAccessJson", () => {
  test("the same fields, snake_case, numbers rounded to microseconds", () => {
    expect(JSON.parse(formatAccessJson(base))).toEqual({
      time: "2026-12-01T22:00:00.123Z",
      client: "127.0.0.1",
      method: "GET",
      path: "/api?q=1",
      kind: "http",
      route: "host",
      workspace: "workspace-a",
      upstream: "127.18.176.32:3000",
      status: 200,
      bytes_in: 312,
      bytes_out: 1048,
      duration_ms: 2.417,
      connect_ms: 0.311,
    });
  });

  test("nulls stay null; a control character in the path stays inside the one line", () => {
    const line = formatAccessJson({ ...base, path: "/x\ny", workspace: null, upstream: null, connectMs: null });
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toMatchObject({ path: "/x\ny", workspace: null, upstream: null, connect_ms: null });
  });
});
