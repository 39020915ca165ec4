// The servers behind every system, all pinned to the load core: nginx for HTTP GETs (a small "ok",
// a 1 MiB file), a Bun POST sink, a TCP sink for tunnels, a WebSocket echo.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Children } from "./children";
import { freePort, waitForPort } from "./net";
import { startNginx } from "./nginx";

export type Upstreams = { http: number; post: number; ws: number; sink: number };

export const FILE_PATH = "/1m.bin";
export const FILE_BYTES = 1 << 20;

export async function startUpstreams(children: Children, tmp: string, cpu: number, nofile: number): Promise<Upstreams> {
  const ports: Upstreams = { http: freePort(), post: freePort(), ws: freePort(), sink: freePort() };
  const prefix = `${tmp}/nginx-upstream`;
  const nginx = startNginx(children, { name: "upstream-nginx", template: "upstream", prefix, port: ports.http, cpu, nofile });
  // Random bytes, so nothing on the path can profit from compressible content.
  const started = nginx.then(() => writeFileSync(`${prefix}/html${FILE_PATH}`, randomBytes(FILE_BYTES)));
  const bun = process.execPath;
  const post = children.spawn({ name: "upstream-post-sink", cpu, cmd: [bun, `${import.meta.dir}/servers/post-sink.ts`, String(ports.post)] });
  const sink = children.spawn({ name: "upstream-tcp-sink", cpu, cmd: [bun, `${import.meta.dir}/servers/tcp-sink.ts`, String(ports.sink)] });
  const ws = children.spawn({ name: "upstream-ws-echo", cpu, cmd: [bun, `${import.meta.dir}/servers/ws-echo.ts`, String(ports.ws)] });
  await Promise.all([started, waitForPort(ports.post, post), waitForPort(ports.sink, sink), waitForPort(ports.ws, ws)]);
  return ports;
}
