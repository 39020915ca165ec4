import { describe, expect, test } from "bun:test";
import vectors from "./vectors/workspace-ip.json";
import { workspaceIp } from "../src/workspace";

type Case = { name: string; ip?: string; error?: boolean; note?: string };

describe("workspaceIp matches the shared vectors", () => {
  test.each((vectors.cases as Case[]).map((c) => [c.name, c] as const))("%p", (_name, c) => {
    const got = workspaceIp(c.name);
    if (c.error) expect(got.ok).toBe(false);
    else expect(got).toEqual({ ok: true, ip: c.ip! });
  });
});
