// Where a Bun proxy's base memory goes: builds a hello-world Bun.listen echo and cmux-proxy in
// several ways (bun run, compiled, --minify, --bytecode; the echo also writing one line with
// console.error or process.stderr, or parsing its flags with citty; the release build of
// cmux-proxy also without its command line, and with the Node modules and bun:ffi it loads
// replaced by stubs, which is how each one's share is found), starts each, waits for one echoed
// round trip (or one request proxied to an upstream, as bench row f does before measuring) and a
// settle, and prints its RSS split as /proc/<pid>/smaps_rollup splits it: anonymous memory (heaps,
// JIT) and file-backed pages (the executable's code and embedded sources it touched).
// Usage: bun bench/base-rss.ts            (Markdown table; about 60 s, builds in a temp dir)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { freePort, HOST } from "./net";

const repo = resolve(import.meta.dir, "..");
const tmp = mkdtempSync(`${tmpdir()}/cmux-base-rss-`);
const SETTLE_MS = 1000;
const START_TIMEOUT_MS = 10_000;
const RUNS = 3;

const HELLO = `const port = Number(process.argv[2]);
Bun.listen({ hostname: "127.0.0.1", port, socket: { data(s, d) { s.write(d); } } });
`;
// Bun's console writes natively; process.stderr is Node's stream machinery (what consola, the
// logger cmux-proxy used before, wrote with).
const WITH_CONSOLE = `${HELLO}console.error("listening");\n`;
const WITH_STDERR = `${HELLO}process.stderr.write("listening\\n");\n`;
const WITH_CITTY = `import { defineCommand, runMain } from "citty";
runMain(defineCommand({ meta: { name: "hello" }, args: { listen: { type: "string" } }, run() {
  Bun.listen({ hostname: "127.0.0.1", port: Number(process.argv[2]), socket: { data(s, d) { s.write(d); } } });
  console.error("listening");
} }));
`;

// The proxy's start-up without its command line: startProxy with the defaults, as cli.ts calls it.
const SERVER_ONLY = `import { startProxy } from "../src/server";
import { DEFAULT_LIMITS } from "../src/config";
const port = Number(process.argv[3]);
startProxy({ listen: [{ host: "127.0.0.1", port, family: 4 }], upstreamHost: "127.0.0.1", limits: DEFAULT_LIMITS });
console.error("listening");
`;

// Stand-ins for what cmux-proxy imports from Node and bun:ffi, doing just enough for start-up and
// one proxied request: a build with them shows what loading the real ones costs.
const NODE_STUBS: Record<string, string> = {
  "node:crypto": `export function createHash() { const h = new Bun.CryptoHasher("sha256"); return { update(x) { h.update(x); return this; }, digest(e) { return h.digest(e); } }; }
export function timingSafeEqual(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }`,
  "node:net": `export function isIP(s) { return /^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(s) ? 4 : /^[0-9a-f:.]*:[0-9a-f:.]*$/i.test(s) ? 6 : 0; }`,
  "node:os": `export function networkInterfaces() { return { lo: [{ address: "127.0.0.1" }, { address: "::1" }] }; }`,
  "node:fs": `export function readFileSync() { return "Max open files 1024 1024 files\\n"; }
export function readdirSync() { return ["0", "1", "2"]; }`,
  "node:fs/promises": `export async function readdir() { return []; }
export async function readFile() { return ""; }
export async function readlink() { return ""; }`,
  "node:dns/promises": `export async function lookup() { return []; }`,
};
const FFI_STUB = { "bun:ffi": `export function dlopen() { return { symbols: { setsockopt() { return 0; } } }; }
export function ptr() { return 0; }` };

type Variant = { name: string; cmd: (port: number) => string[]; probe: "echo" | "proxy" };

function build(name: string, entry: string, flags: string[]): string {
  const out = `${tmp}/${name}`;
  const r = Bun.spawnSync([process.execPath, "build", "--compile", ...flags, entry, "--outfile", out], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`build ${name} failed:\n${r.stderr.toString()}`);
  return out;
}

/** The release build with the modules named in `stubs` replaced by them (the specifiers rewritten in
 * our sources: Bun resolves `node:` and `bun:` before any plugin sees them). */
async function buildStubbed(name: string, entry: string, stubs: Record<string, string>): Promise<string> {
  const out = `${tmp}/${name}`;
  const files = new Map(Object.entries(stubs).map(([spec, text]) => [spec, `${tmp}/stub-${spec.replace(/[:/]/g, "_")}.js`] as const));
  for (const [spec, file] of files) writeFileSync(file, stubs[spec]!);
  const r = await Bun.build({
    entrypoints: [entry],
    minify: true,
    bytecode: true,
    format: "esm",
    target: "bun",
    compile: { outfile: out },
    plugins: [
      {
        name: "stub-modules",
        setup(b) {
          b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (a) => {
            let text = await Bun.file(a.path).text();
            for (const [spec, file] of files) text = text.replaceAll(`"${spec}"`, JSON.stringify(file));
            return { contents: text, loader: "ts" };
          });
        },
      },
    ],
  });
  if (!r.success) throw new Error(`build ${name} failed:\n${r.logs.join("\n")}`);
  return out;
}

function source(name: string, text: string): string {
  // Inside the repo's tree so consola and citty resolve from its node_modules.
  const path = `${repo}/bench/.base-rss-${name}.ts`;
  writeFileSync(path, text);
  return path;
}

const RELEASE = ["--minify", "--bytecode", "--format=esm"];
const sources = {
  hello: source("hello", HELLO),
  console: source("console", WITH_CONSOLE),
  stderr: source("stderr", WITH_STDERR),
  citty: source("citty", WITH_CITTY),
  server: source("server", SERVER_ONLY),
};
const listenArgs = (b: string) => (p: number) => [b, "--listen", `${HOST}:${p}`];
// What a proxied probe reaches, as bench row f's warm-up request does: the upstream path (the pool,
// bun:ffi for the receive buffer) is loaded before the figure is taken.
const upstream = Bun.serve({ hostname: HOST, port: 0, fetch: () => new Response("ok") });

const variants: Variant[] = [];
try {
  variants.push(
    { name: "hello: bun run (as bun-pipe runs)", cmd: (p) => [process.execPath, sources.hello, String(p)], probe: "echo" },
    { name: "hello: compiled", cmd: ((b) => (p: number) => [b, String(p)])(build("hello", sources.hello, [])), probe: "echo" },
    { name: "hello: compiled --minify", cmd: ((b) => (p: number) => [b, String(p)])(build("hello-min", sources.hello, ["--minify"])), probe: "echo" },
    { name: "hello: compiled --minify --bytecode", cmd: ((b) => (p: number) => [b, String(p)])(build("hello-bc", sources.hello, RELEASE)), probe: "echo" },
    { name: "hello + a console.error line: compiled --minify", cmd: ((b) => (p: number) => [b, String(p)])(build("console-min", sources.console, ["--minify"])), probe: "echo" },
    { name: "hello + a process.stderr line: compiled --minify", cmd: ((b) => (p: number) => [b, String(p)])(build("stderr-min", sources.stderr, ["--minify"])), probe: "echo" },
    { name: "hello + citty: compiled --minify", cmd: ((b) => (p: number) => [b, String(p)])(build("citty-min", sources.citty, ["--minify"])), probe: "echo" },
    { name: "cmux-proxy: bun src/cli.ts", cmd: (p) => [process.execPath, `${repo}/src/cli.ts`, "--listen", `${HOST}:${p}`], probe: "proxy" },
    { name: "cmux-proxy: compiled --minify (as the bench builds it)", cmd: ((b) => (p: number) => [b, "--listen", `${HOST}:${p}`])(build("cmux-min", `${repo}/src/cli.ts`, ["--minify"])), probe: "proxy" },
    { name: "cmux-proxy: compiled --minify --bytecode (release)", cmd: listenArgs(build("cmux-bc", `${repo}/src/cli.ts`, RELEASE)), probe: "proxy" },
    { name: "release, Node modules stubbed (node:crypto, net, os, fs, fs/promises, dns/promises)", cmd: listenArgs(await buildStubbed("cmux-nonode", `${repo}/src/cli.ts`, NODE_STUBS)), probe: "proxy" },
    { name: "release, Node modules and bun:ffi stubbed", cmd: listenArgs(await buildStubbed("cmux-nonode-noffi", `${repo}/src/cli.ts`, { ...NODE_STUBS, ...FFI_STUB })), probe: "proxy" },
    { name: "release, startProxy alone (no command line)", cmd: ((b) => (p: number) => [b, "--listen", String(p)])(build("server-bc", sources.server, RELEASE)), probe: "proxy" },
    { name: "release, startProxy alone, Node modules and bun:ffi stubbed", cmd: ((b) => (p: number) => [b, "--listen", String(p)])(await buildStubbed("server-nonode-noffi", sources.server, { ...NODE_STUBS, ...FFI_STUB })), probe: "proxy" },
  );
} catch (err) {
  cleanup();
  throw err;
}

function cleanup() {
  upstream.stop(true);
  for (const s of Object.values(sources)) rmSync(s, { force: true });
  rmSync(tmp, { recursive: true, force: true });
}

function rollup(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n")) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) / 1024;
  }
  return out;
}

/** One round trip: an echo for hello, a request proxied to the upstream for cmux. */
async function probe(port: number, kind: "echo" | "proxy"): Promise<boolean> {
  try {
    const headers: Record<string, string> = kind === "proxy" ? { "X-Cmux-Port-Internal": String(upstream.port) } : { "X-Probe": "1" };
    const res = await fetch(`http://${HOST}:${port}/`, { signal: AbortSignal.timeout(1000), headers });
    await res.arrayBuffer();
    return true;
  } catch {
    // an echo server answers a request with the request: fetch fails to parse it, but it went round
    return kind === "echo";
  }
}

async function listening(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: HOST, port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

async function measure(v: Variant): Promise<Record<string, number>> {
  const port = freePort();
  const proc = Bun.spawn(v.cmd(port), { stdout: "ignore", stderr: "ignore" });
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await listening(port))) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${v.name} did not listen`);
      await Bun.sleep(20);
    }
    await probe(port, v.probe);
    await Bun.sleep(SETTLE_MS);
    return rollup(proc.pid);
  } finally {
    proc.kill();
    await proc.exited;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

try {
  console.log(`| build | RSS MiB | anonymous MiB | file-backed MiB |`);
  console.log(`| --- | ---: | ---: | ---: |`);
  for (const v of variants) {
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(v));
    const rss = median(runs.map((r) => r.Rss!));
    const anon = median(runs.map((r) => r.Anonymous!));
    const file = median(runs.map((r) => r.Rss! - r.Anonymous!));
    console.log(`| ${v.name} | ${rss.toFixed(1)} | ${anon.toFixed(1)} | ${file.toFixed(1)} |`);
  }
} finally {
  cleanup();
}
