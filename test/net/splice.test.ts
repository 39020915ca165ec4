// Splice over two fake sockets: bytes both ways, a short write pausing the sending side until the
// receiver drains, EOF passed on as a half-close while the other way flows, and close on either
// side closing both once what is queued is out.

import { expect, test } from "bun:test";
import { Outbox } from "../../src/net/outbox";
import { Splice } from "../../src/net/splice";
import { FakeSocket, type SocketCall } from "../helpers/fake-socket";

type Side = 0 | 1;
type Step =
  /** bytes arrive on `side` */
  | ["data", Side, string]
  /** socket `side`'s peer read everything; its drain event */
  | ["drain", Side]
  /** socket `side`'s send buffer now holds this many bytes */
  | ["capacity", Side, number]
  | ["end", Side]
  | ["close", Side];

interface Case {
  name: string;
  steps: Step[];
  /** What each socket was written, and the calls made on it. */
  written: [string, string];
  calls: [SocketCall[], SocketCall[]];
  /** How many times onClosed ran. */
  closed: number;
}

const cases: Case[] = [
  {
    name: "bytes flow both ways",
    steps: [["data", 0, "ping"], ["data", 1, "pong"], ["data", 0, "!"]],
    written: ["pong", "ping!"],
    calls: [[], []],
    closed: 0,
  },
  {
    name: "a short write pauses the sender; the receiver's drain resumes it",
    steps: [["capacity", 1, 2], ["data", 0, "abcd"], ["capacity", 1, Infinity], ["drain", 1]],
    written: ["", "abcd"],
    calls: [["pause", "resume"], []],
    closed: 0,
  },
  {
    name: "a drain that cannot write everything keeps the sender paused",
    steps: [["capacity", 1, 2], ["data", 0, "abcdef"], ["drain", 1]],
    written: ["", "abcd"],
    calls: [["pause"], []],
    closed: 0,
  },
  {
    name: "backpressure one way leaves the other way alone",
    steps: [["capacity", 1, 0], ["data", 0, "abc"], ["data", 1, "xyz"]],
    written: ["xyz", ""],
    calls: [["pause"], []],
    closed: 0,
  },
  {
    name: "EOF from side 0 half-closes side 1; side 1 keeps sending",
    steps: [["data", 0, "req"], ["end", 0], ["data", 1, "resp"]],
    written: ["resp", "req"],
    calls: [[], ["shutdown"]],
    closed: 0,
  },
  {
    name: "EOF from side 1 half-closes side 0; side 0 keeps sending",
    steps: [["end", 1], ["data", 0, "more"]],
    written: ["", "more"],
    calls: [["shutdown"], []],
    closed: 0,
  },
  {
    name: "EOF both ways closes both",
    steps: [["end", 0], ["end", 1]],
    written: ["", ""],
    calls: [["end"], ["shutdown", "end"]],
    closed: 0,
  },
  {
    name: "a repeated EOF is passed on once",
    steps: [["end", 0], ["end", 0]],
    written: ["", ""],
    calls: [[], ["shutdown"]],
    closed: 0,
  },
  {
    name: "the half-close waits for the bytes queued before it",
    steps: [["capacity", 1, 0], ["data", 0, "abc"], ["end", 0], ["capacity", 1, Infinity], ["drain", 1]],
    written: ["", "abc"],
    calls: [["pause", "resume"], ["shutdown"]],
    closed: 0,
  },
  {
    name: "close on one side closes the other",
    steps: [["close", 0]],
    written: ["", ""],
    calls: [[], ["end"]],
    closed: 1,
  },
  {
    name: "close waits for the bytes queued for the other side, and resumes nobody",
    steps: [["capacity", 1, 0], ["data", 0, "abc"], ["close", 0], ["capacity", 1, Infinity], ["drain", 1]],
    written: ["", "abc"],
    calls: [["pause"], ["end"]],
    closed: 1,
  },
  {
    name: "after a close, bytes, EOF and a second close change nothing",
    steps: [["close", 1], ["data", 0, "late"], ["end", 0], ["close", 0]],
    written: ["", ""],
    calls: [["end"], []],
    closed: 1,
  },
];

test.each(cases)("$name", ({ steps, written, calls, closed }) => {
  const sockets: [FakeSocket, FakeSocket] = [new FakeSocket(), new FakeSocket()];
  let closes = 0;
  const splice = new Splice([new Outbox(sockets[0]), new Outbox(sockets[1])], () => closes++);
  for (const step of steps) {
    switch (step[0]) {
      case "data":
        splice.data(step[1], Buffer.from(step[2], "latin1"));
        break;
      case "drain":
        sockets[step[1]].drainKernel();
        splice.drain(step[1]);
        break;
      case "capacity":
        sockets[step[1]].capacity = step[2];
        break;
      case "end":
        splice.end(step[1]);
        break;
      case "close":
        splice.close(step[1]);
        break;
    }
  }
  expect([sockets[0].text(), sockets[1].text()]).toEqual(written);
  expect([sockets[0].calls, sockets[1].calls]).toEqual(calls);
  expect(closes).toBe(closed);
});
