// The cap on client-triggered log lines: at most N a window, the dropped count carried by the next
// line let through.

import { describe, expect, test } from "bun:test";
import { droppedNote, LogLimiter } from "../src/log-limiter";

describe("LogLimiter(3 per 1000 ms)", () => {
  test.each([
    ["a few lines pass", [0, 10, 20], [0, 0, 0]],
    ["the fourth in a window is dropped", [0, 1, 2, 3], [0, 0, 0, null]],
    ["a new window passes again and counts the dropped", [0, 1, 2, 3, 4, 1000, 1001], [0, 0, 0, null, null, 2, 0]],
    ["the window starts at its first line, not on a grid", [500, 501, 502, 1499, 1500], [0, 0, 0, null, 1]],
    ["a burst of 1000 lets 3 through", [...Array.from({ length: 1000 }, (_, i) => i / 10), 2000], [0, 0, 0, ...new Array(997).fill(null), 997]],
    ["quiet periods lose nothing", [0, 5000, 10000], [0, 0, 0]],
  ] as [string, number[], (number | null)[]][])("%s", (_, times, expected) => {
    const l = new LogLimiter(3, 1000);
    expect(times.map((t) => l.take(t))).toEqual(expected);
  });
});

test.each([
  [0, ""],
  [1, " (1 similar line suppressed)"],
  [997, " (997 similar lines suppressed)"],
])("droppedNote(%p)", (n, note) => {
  expect(droppedNote(n)).toBe(note);
});
