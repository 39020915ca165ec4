// Where a Bun proxy's base memory goes: builds a hello-world Bun.listen echo and cmux-proxy in
// several ways (bun run, compiled, --minify, --bytecode; the echo also writing one line with
// console.error or process.stderr, or parsing its flags with citty), starts
// each, waits for one echoed round trip (or one proxied request) and a settle, and prints its RSS
// split as /proc/<pid>/smaps_rollup splits it: anonymous memory (heaps, JIT) and file-backed
// pages (the executable's code and embedded sources it touched).
// Usage: bun bench/base-rss.ts            (Markdown table; about 30 s, builds in a temp dir)
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

type Variant = { name: string; cmd: (port: number) => string[]; probe: "echo" | "proxy" };

function build(name: string, entry: string, flags: string[]): string {
  const out = `${tmp}/${name}`;
  const r = Bun.spawnSync([process.execPath, "build", "--compile", ...flags, entry, "--outfile", out], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`build ${name} failed:\n${r.stderr.toString()}`);
  return out;
}

function source(name: string, text: string): string {
  // Inside the repo's tree so consola and citty resolve from its node_modules.
  const path = `${repo}/bench/.base-rss-${name}.ts`;
  writeFileSync(path, text);
  return path;
}

const RELEASE = ["--minify", "--bytecode", "--format=esm"];
const sources = { hello: source("hello", HELLO), console: source("console", WITH_CONSOLE), stderr: source("stderr", WITH_STDERR), citty: source("citty", WITH_CITTY) };
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
    { name: "cmux-proxy: compiled --minify --bytecode (release)", cmd: ((b) => (p: number) => [b, "--listen", `${HOST}:${p}`])(build("cmux-bc", `${repo}/src/cli.ts`, RELEASE)), probe: "proxy" },
  );
} catch (err) {
  cleanup();
  throw err;
}

function cleanup() {
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

/** One round trip: an echo for hello, a proxied request (to the proxy itself: a 400) for cmux. */
async function probe(port: number, kind: "echo" | "proxy"): Promise<boolean> {
  try {
    const res = await fetch(`http://${HOST}:${port}/`, { signal: AbortSignal.timeout(1000), headers: kind === "proxy" ? {} : { "X-Probe": "1" } });
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
