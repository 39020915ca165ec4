// Batched lines: nothing lost, in order, one write per batch.

import { expect, test } from "bun:test";
import { LineSink } from "../src/log-sink";
import { waitFor } from "./helpers/wait";

test("lines are written together after a short delay, in order", async () => {
  const writes: string[] = [];
  const sink = new LineSink((t) => writes.push(t));
  sink.line("a");
  sink.line("b");
  expect(writes).toEqual([]);
  expect(await waitFor(() => writes.length > 0, 2000)).toBe(true);
  expect(writes).toEqual(["a\nb\n"]);
});

test("a full batch is written at once; flush() writes the rest", () => {
  const writes: string[] = [];
  const sink = new LineSink((t) => writes.push(t));
  const line = "x".repeat(1023);
  for (let i = 0; i < 64; i++) sink.line(line);
  expect(writes).toHaveLength(1);
  expect(writes[0]!.length).toBe(64 * 1024);
  sink.line("tail");
  sink.flush();
  sink.flush();
  expect(writes.slice(1)).toEqual(["tail\n"]);
});
