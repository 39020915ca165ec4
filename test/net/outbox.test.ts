// Outbox over a fake socket: what `send` and `flush` report under short writes, that queued bytes
// keep their order, and that a half-close or close waits for the queue to empty.

import { expect, test } from "bun:test";
import { Outbox, queuedSendCount } from "../../src/net/outbox";
import { FakeSocket, type SocketCall } from "../helpers/fake-socket";

type Step =
  /** send(text) and what it returns */
  | ["send", string, boolean]
  /** the peer read everything, then flush() and what it returns */
  | ["flush", boolean]
  /** the send buffer now holds this many bytes */
  | ["capacity", number]
  /** the socket closed under us: writes fail from now on */
  | ["socketClosed"]
  | ["shutdownWhenFlushed"]
  | ["closeWhenFlushed"];

interface Case {
  name: string;
  capacity: number;
  steps: Step[];
  written: string;
  calls: SocketCall[];
}

const cases: Case[] = [
  { name: "a write the kernel takes whole", capacity: Infinity, steps: [["send", "abc", true]], written: "abc", calls: [] },
  { name: "an empty send with nothing queued", capacity: Infinity, steps: [["send", "", true]], written: "", calls: [] },
  {
    name: "an empty send behind a queue still says pause",
    capacity: 1,
    steps: [["send", "abc", false], ["send", "", false]],
    written: "a",
    calls: [],
  },
  {
    name: "a short write queues the rest; flush writes it as room comes",
    capacity: 2,
    steps: [["send", "abcde", false], ["flush", false], ["flush", true]],
    written: "abcde",
    calls: [],
  },
  {
    name: "a write the kernel takes none of",
    capacity: 0,
    steps: [["send", "abc", false], ["capacity", Infinity], ["flush", true]],
    written: "abc",
    calls: [],
  },
  {
    name: "an exact fit is not a short write",
    capacity: 3,
    steps: [["send", "abc", true]],
    written: "abc",
    calls: [],
  },
  {
    name: "bytes sent behind a queue wait their turn",
    capacity: 2,
    steps: [["send", "ab", true], ["send", "cd", false], ["send", "ef", false], ["capacity", Infinity], ["flush", true]],
    written: "abcdef",
    calls: [],
  },
  {
    name: "a flush spans several queued chunks",
    capacity: 3,
    steps: [["send", "abcd", false], ["send", "efgh", false], ["flush", false], ["flush", true]],
    written: "abcdefgh",
    calls: [],
  },
  {
    name: "a send on a closed socket queues nothing (its close handler tears down)",
    capacity: Infinity,
    steps: [["socketClosed"], ["send", "abc", true], ["flush", true]],
    written: "",
    calls: [],
  },
  {
    name: "a socket that closes with bytes queued drops them",
    capacity: 1,
    steps: [["send", "abc", false], ["socketClosed"], ["flush", true]],
    written: "a",
    calls: [],
  },
  {
    name: "half-close with nothing queued is at once",
    capacity: Infinity,
    steps: [["shutdownWhenFlushed"]],
    written: "",
    calls: ["shutdown"],
  },
  {
    name: "half-close waits for the queue",
    capacity: 1,
    steps: [["send", "abc", false], ["shutdownWhenFlushed"], ["flush", false], ["flush", true]],
    written: "abc",
    calls: ["shutdown"],
  },
  {
    name: "close waits for the queue",
    capacity: 2,
    steps: [["send", "abc", false], ["closeWhenFlushed"], ["capacity", Infinity], ["flush", true]],
    written: "abc",
    calls: ["end"],
  },
  {
    name: "close after a pending half-close: the close wins",
    capacity: 0,
    steps: [["send", "abc", false], ["shutdownWhenFlushed"], ["closeWhenFlushed"], ["capacity", Infinity], ["flush", true]],
    written: "abc",
    calls: ["end"],
  },
  {
    name: "half-close after a pending close does not undo it",
    capacity: 0,
    steps: [["send", "abc", false], ["closeWhenFlushed"], ["shutdownWhenFlushed"], ["capacity", Infinity], ["flush", true]],
    written: "abc",
    calls: ["end"],
  },
];

test.each(cases)("$name", ({ capacity, steps, written, calls }) => {
  const socket = new FakeSocket(capacity);
  const out = new Outbox(socket);
  for (const step of steps) {
    switch (step[0]) {
      case "send":
        expect(out.send(Buffer.from(step[1], "latin1"))).toBe(step[2]);
        break;
      case "flush":
        socket.drainKernel();
        expect(out.flush()).toBe(step[1]);
        break;
      case "capacity":
        socket.capacity = step[1];
        break;
      case "socketClosed":
        socket.writeClosed = true;
        break;
      case "shutdownWhenFlushed":
        out.shutdownWhenFlushed();
        break;
      case "closeWhenFlushed":
        out.closeWhenFlushed();
        break;
    }
  }
  expect(socket.text()).toBe(written);
  expect(socket.calls).toEqual(calls);
});

// upstream.ts reads this count around each upstream read to tell a reader that keeps up.
test.each([
  { name: "writes the kernel takes whole", capacity: Infinity, sends: ["abc", "def"], queued: 0 },
  { name: "a short write", capacity: 2, sends: ["abc"], queued: 1 },
  { name: "a write the kernel takes none of", capacity: 0, sends: ["abc"], queued: 1 },
  { name: "each send behind a queue", capacity: 2, sends: ["abc", "d", "e"], queued: 3 },
  { name: "an empty send behind a queue adds nothing to hold", capacity: 2, sends: ["abc", ""], queued: 1 },
])("queuedSendCount: $name -> $queued", ({ capacity, sends, queued }) => {
  const out = new Outbox(new FakeSocket(capacity));
  const before = queuedSendCount();
  for (const s of sends) out.send(Buffer.from(s, "latin1"));
  expect(queuedSendCount() - before).toBe(queued);
});
