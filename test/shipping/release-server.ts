// A loopback HTTP server laid out like GitHub release downloads, serving one release build:
//   /latest/download/<file>         the build is the latest release
//   /download/v<version>/<file>     only its own version; any other version is a 404
// Files named in `corrupt` are served with one byte flipped; `requests` records every path.

import type { ReleaseBuild } from "./release-build";

export interface ReleaseServer {
  base: string;
  requests: string[];
  corrupt: Set<string>;
  stop(): Promise<void>;
}

export function startReleaseServer(build: ReleaseBuild): ReleaseServer {
  const requests: string[] = [];
  const corrupt = new Set<string>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const m = /^\/(?:latest\/download|download\/v([^/]+))\/([^/]+)$/.exec(path);
      if (m === null || (m[1] !== undefined && m[1] !== build.version) || m[2]!.startsWith(".")) return new Response("not found\n", { status: 404 });
      const file = Bun.file(build.path(m[2]!));
      if (!(await file.exists())) return new Response("not found\n", { status: 404 });
      if (!corrupt.has(m[2]!)) return new Response(file);
      const bytes = await file.bytes();
      const at = bytes.length >> 1;
      bytes[at] = bytes[at]! ^ 0xff;
      return new Response(bytes);
    },
  });
  return { base: `http://127.0.0.1:${server.port}`, requests, corrupt, stop: () => server.stop(true) };
}
