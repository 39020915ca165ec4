// Batched lines: nothing lost, in order, whole lines per write, no write past PIPE_BUF.

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

test("a batch is written before it would pass 4096 bytes, whole lines only; flush() writes the rest", () => {
  const writes: string[] = [];
  const sink = new LineSink((t) => writes.push(t));
  const line = "x".repeat(99); // 100 bytes with its newline
  for (let i = 0; i < 100; i++) sink.line(line);
  expect(writes.map((w) => w.length)).toEqual([4000, 4000]);
  sink.line("ä"); // two bytes in UTF-8
  sink.flush();
  sink.flush();
  expect(writes.slice(2)).toEqual([`${line}\n`.repeat(20) + "ä\n"]);
  for (const w of writes) expect(w.endsWith("\n") && Buffer.byteLength(w) <= 4096).toBe(true);
});

test("a line longer than PIPE_BUF goes alone", () => {
  const writes: string[] = [];
  const sink = new LineSink((t) => writes.push(t));
  sink.line("a");
  sink.line("y".repeat(5000));
  sink.line("b");
  sink.flush();
  expect(writes).toEqual(["a\n", "y".repeat(5000) + "\n", "b\n"]);
});
