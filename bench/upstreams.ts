// The servers behind every system, all pinned to the load core: nginx for HTTP GETs (a small "ok",
// a 1 MiB file), a Bun POST sink, a TCP sink for tunnels, a WebSocket echo, and a dev server's
// module responses (bench/servers/dev-modules.ts) for the page-load and added-latency rows.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Children } from "./children";
import { freePort, waitForPort } from "./net";
import { startNginx } from "./nginx";

export type Upstreams = { http: number; post: number; ws: number; sink: number; modules: number };

export const FILE_PATH = "/1m.bin";
export const FILE_BYTES = 1 << 20;

export async function startUpstreams(children: Children, tmp: string, cpu: number, nofile: number): Promise<Upstreams> {
  const ports: Upstreams = { http: freePort(), post: freePort(), ws: freePort(), sink: freePort(), modules: freePort() };
  const prefix = `${tmp}/nginx-upstream`;
  const nginx = startNginx(children, { name: "upstream-nginx", template: "upstream", prefix, port: ports.http, cpu, nofile });
  // Random bytes, so nothing on the path can profit from compressible content.
  const started = nginx.then(() => writeFileSync(`${prefix}/html${FILE_PATH}`, randomBytes(FILE_BYTES)));
  const bun = process.execPath;
  const post = children.spawn({ name: "upstream-post-sink", cpu, cmd: [bun, `${import.meta.dir}/servers/post-sink.ts`, String(ports.post)] });
  const sink = children.spawn({ name: "upstream-tcp-sink", cpu, cmd: [bun, `${import.meta.dir}/servers/tcp-sink.ts`, String(ports.sink)] });
  const ws = children.spawn({ name: "upstream-ws-echo", cpu, cmd: [bun, `${import.meta.dir}/servers/ws-echo.ts`, String(ports.ws)] });
  const modules = children.spawn({ name: "upstream-dev-modules", cpu, cmd: [bun, `${import.meta.dir}/servers/dev-modules.ts`, String(ports.modules)] });
  await Promise.all([started, waitForPort(ports.post, post), waitForPort(ports.sink, sink), waitForPort(ports.ws, ws), waitForPort(ports.modules, modules)]);
  return ports;
}
