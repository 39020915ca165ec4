// FdBudget: when accepting stops (the reserve is max(16, limit/8) below the limit) and when it
// starts again (twice the reserve below), told once per change; and the descriptor count it starts from.

import { closeSync, openSync } from "node:fs";
import { expect, test } from "bun:test";
import { FdBudget, openDescriptors, openFileLimit } from "../../src/net/fd-budget";

type Op = ["take" | "give", number];

test.each([
  // [limit, baseline, ops, onFull calls, used after]
  [100, 10, [["take", 73]], [], 83],
  [100, 10, [["take", 74]], [true], 84],
  [100, 10, [["take", 80]], [true], 90],
  // hysteresis: full at 84 used, accepting again only at 68
  [100, 10, [["take", 74], ["give", 15]], [true], 69],
  [100, 10, [["take", 74], ["give", 16]], [true, false], 68],
  [100, 10, [["take", 74], ["give", 16], ["take", 15]], [true, false], 83],
  [100, 10, [["take", 74], ["give", 16], ["take", 16]], [true, false, true], 84],
  [100, 10, [["take", 74], ["give", 74]], [true, false], 10],
  // a baseline already past the mark: the first socket stops accepting
  [100, 90, [["take", 1]], [true], 91],
  // reserve = limit / 8 once that is above 16: full at 896, again at 768
  [1024, 20, [["take", 875]], [], 895],
  [1024, 20, [["take", 876]], [true], 896],
  [1024, 20, [["take", 876], ["give", 128]], [true, false], 768],
] as [number, number, Op[], boolean[], number][])("limit %p, baseline %p, %j: onFull %j, used %p", (limit, baseline, ops, calls, used) => {
  const seen: boolean[] = [];
  const budget = new FdBudget(limit, baseline, (full) => seen.push(full));
  for (const [op, n] of ops) for (let i = 0; i < n; i++) budget[op]();
  expect(seen).toEqual(calls);
  expect(budget.used).toBe(used);
});

test("openDescriptors counts a descriptor this process opens", () => {
  const before = openDescriptors();
  const fd = openSync("/dev/null", "r");
  try {
    expect(openDescriptors()).toBe(before + 1);
  } finally {
    closeSync(fd);
  }
  expect(openDescriptors()).toBe(before);
});

test("openFileLimit reads a soft limit of at least the descriptors open now", () => {
  const limit = openFileLimit();
  expect(limit).not.toBeNull();
  expect(limit!).toBeGreaterThanOrEqual(openDescriptors());
});
