#!/usr/bin/env bun
// The command line: flags with environment fallbacks, then start the listeners and wait for a
// signal. Every problem found before listening is one line on stderr and a non-zero exit. The flags
// are declared citty's way and read by src/flags.ts; citty itself is loaded only for --help and
// the healthcheck, so a running proxy never holds it (bench/base-rss.ts).

import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ArgsDef, CommandDef } from "citty";
import pkg from "../package.json" with { type: "json" };
import { observeFlags, OBSERVE_ARGS } from "./admin/flags";
import { checkUpstreamHost, DEFAULT_LIMITS, DEFAULT_LISTEN, formatAddress, parseHostSuffixes, parseListenList, type Limits } from "./config";
import { parseFlags, type FlagValues } from "./flags";
import { configureLog, log, LOG_LEVEL_NAMES, type LogLevelName } from "./log";
import { parseCidrList } from "./net/cidr";
import { exposureWarning, parsePolicy } from "./policy";
import { DEFAULT_HOST_SUFFIXES } from "./route";
import { policyFlags, SECURITY_ARGS } from "./security-flags";
import { startProxy } from "./server";
import { READY_MESSAGE, supervise, WORKER_ENV } from "./supervisor";

function die(msg: string): never {
  process.stderr.write(`cmux-proxy: ${msg}\n`);
  process.exit(2);
}

/** Every value of a repeatable flag (parseFlags, like citty, keeps only the last one). */
function repeated(rawArgs: string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === `--${flag}` && i + 1 < rawArgs.length) out.push(rawArgs[++i]!);
    else if (a.startsWith(`--${flag}=`)) out.push(a.slice(flag.length + 3));
  }
  return out;
}

const LIMIT_FLAGS: Record<keyof Limits, { flag: string; env: string; description: string }> = {
  maxHeadBytes: { flag: "max-head-bytes", env: "CMUX_MAX_HEAD_BYTES", description: "largest request/response head (431/502 beyond)" },
  maxHeaders: { flag: "max-headers", env: "CMUX_MAX_HEADERS", description: "most header fields in a head" },
  headTimeout: { flag: "head-timeout", env: "CMUX_HEAD_TIMEOUT", description: "seconds to receive a whole request head" },
  idleTimeout: { flag: "idle-timeout", env: "CMUX_IDLE_TIMEOUT", description: "seconds an idle keep-alive client is kept" },
  connectTimeout: { flag: "connect-timeout", env: "CMUX_CONNECT_TIMEOUT", description: "seconds to connect upstream (504 beyond)" },
  upstreamTimeout: { flag: "upstream-timeout", env: "CMUX_UPSTREAM_TIMEOUT", description: "seconds to the upstream's first response byte (504 beyond)" },
  shutdownTimeout: { flag: "shutdown-timeout", env: "CMUX_SHUTDOWN_TIMEOUT", description: "seconds in-flight requests get on SIGINT/SIGTERM" },
  tcpKeepAlive: { flag: "tcp-keepalive", env: "CMUX_TCP_KEEPALIVE", description: "seconds of silence before TCP keep-alive probes (a vanished peer goes 10 s later)" },
};

function limitArgs() {
  const args: Record<string, { type: "string"; description: string; valueHint: string }> = {};
  for (const [key, f] of Object.entries(LIMIT_FLAGS)) {
    const dflt = DEFAULT_LIMITS[key as keyof Limits];
    args[f.flag] = { type: "string", description: `${f.description} (env ${f.env}, default ${dflt})`, valueHint: "N" };
  }
  return args;
}

const ARGS = {
  listen: {
    type: "string",
    description: `listen address(es), repeatable or comma-separated: HOST:PORT, [IPV6]:PORT (env CMUX_LISTEN, default ${DEFAULT_LISTEN})`,
    valueHint: "ADDR",
  },
  "upstream-host": {
    type: "string",
    description: "upstream host (IP or name) when no workspace is named (env CMUX_UPSTREAM_HOST, default 127.0.0.1)",
    valueHint: "HOST",
  },
  "log-level": {
    type: "string",
    description: `${LOG_LEVEL_NAMES.join("|")} (env CMUX_LOG_LEVEL, default info)`,
    valueHint: "LEVEL",
  },
  "log-json": { type: "boolean", description: "log JSON lines (env CMUX_LOG_JSON=1)" },
  workers: {
    type: "string",
    description: "processes sharing each listen address, supervised (env CMUX_WORKERS, default 1)",
    valueHint: "N",
  },
  "trusted-proxies": {
    type: "string",
    description: "CIDRs whose X-Forwarded-* values are kept, comma-separated (env CMUX_TRUSTED_PROXIES, default none)",
    valueHint: "CIDRS",
  },
  "rewrite-host": { type: "boolean", description: "send Host: localhost:<port> upstream, the original in X-Forwarded-Host (env CMUX_REWRITE_HOST=1)" },
  "forwarded-headers": { type: "boolean", default: true, description: "add X-Forwarded-For/-Proto/-Host/-Port (--no-forwarded-headers or env CMUX_FORWARDED_HEADERS=0: off)" },
  "host-suffix": {
    type: "string",
    description: `Host routing suffix, repeatable: <workspace>-<port>.<suffix> (env CMUX_HOST_SUFFIX, default ${DEFAULT_HOST_SUFFIXES.join(",")})`,
    valueHint: "DOMAIN",
  },
  ...limitArgs(),
  ...SECURITY_ARGS,
  ...OBSERVE_ARGS,
} satisfies ArgsDef;

const MAIN: CommandDef<ArgsDef> = {
  meta: { name: "cmux-proxy", version: pkg.version, description: `${pkg.description} (\`cmux-proxy healthcheck --help\`: the health probe)` },
  args: ARGS,
};

async function run(args: FlagValues, rawArgs: string[]): Promise<void> {
  const env = process.env;
  const listenValues = repeated(rawArgs, "listen");
  const listen = parseListenList(listenValues.length > 0 ? listenValues : [env.CMUX_LISTEN || DEFAULT_LISTEN]);
  if (typeof listen === "string") die(listen);

  const upstreamHost = (args["upstream-host"] as string | undefined) ?? (env.CMUX_UPSTREAM_HOST || "127.0.0.1");
  const badUpstream = checkUpstreamHost(upstreamHost);
  if (badUpstream !== null) die(badUpstream);

  const level = ((args["log-level"] as string | undefined) ?? (env.CMUX_LOG_LEVEL || "info")).toLowerCase();
  if (!(LOG_LEVEL_NAMES as readonly string[]).includes(level)) die(`invalid log level "${level}" (expected ${LOG_LEVEL_NAMES.join(", ")})`);
  const json = Boolean(args["log-json"]) || env.CMUX_LOG_JSON === "1";
  configureLog(level as LogLevelName, json);
  const observe = observeFlags(args as Parameters<typeof observeFlags>[0], repeated(rawArgs, "workspace-root"), json, env);
  if (typeof observe === "string") die(observe);

  const limits = { ...DEFAULT_LIMITS };
  for (const [key, f] of Object.entries(LIMIT_FLAGS)) {
    const raw = (args[f.flag] as string | undefined) ?? env[f.env];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) die(`invalid --${f.flag} "${raw}" (expected a positive number)`);
    limits[key as keyof Limits] = n;
  }

  const trusted = parseCidrList((args["trusted-proxies"] as string | undefined) ?? (env.CMUX_TRUSTED_PROXIES || ""));
  if (typeof trusted === "string") die(`--trusted-proxies: ${trusted}`);
  const suffixValues = repeated(rawArgs, "host-suffix");
  const hostSuffixes = parseHostSuffixes(suffixValues.length > 0 ? suffixValues : [env.CMUX_HOST_SUFFIX || DEFAULT_HOST_SUFFIXES.join(",")]);
  if (typeof hostSuffixes === "string") die(`--host-suffix: ${hostSuffixes}`);
  const forwarded = {
    headers: args["forwarded-headers"] !== false && env.CMUX_FORWARDED_HEADERS !== "0",
    trusted,
    rewriteHost: Boolean(args["rewrite-host"]) || env.CMUX_REWRITE_HOST === "1",
  };

  const workersText = (args.workers as string | undefined) ?? (env.CMUX_WORKERS || "1");
  const workers = Number(workersText);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) die(`invalid --workers "${workersText}" (expected 1-256)`);
  const policy = parsePolicy(policyFlags(args), env, (path) => readFileSync(path, "latin1"));
  if (typeof policy === "string") die(policy);

  const isWorker = env[WORKER_ENV] !== undefined;
  if (workers > 1 && listen.some((a) => a.port === 0)) die("--workers above 1 needs fixed listen ports (port 0 would differ per worker)");
  // Said once, by the process the user started, before its listening line(s).
  const warnExposure = (addresses: typeof listen) => {
    const warning = isWorker ? null : exposureWarning(addresses, policy);
    if (warning !== null) log.warn(warning);
  };
  if (workers > 1 && !isWorker) {
    warnExposure(listen);
    return supervise(workers, limits.shutdownTimeout);
  }

  // A name is resolved once, for the loop guard only: connects resolve it afresh every time.
  let upstreamAddresses: string[] | undefined;
  if (isIP(upstreamHost) === 0 && upstreamHost !== "localhost") {
    try {
      upstreamAddresses = (await lookup(upstreamHost, { all: true })).map((a) => a.address);
    } catch (e) {
      log.warn(`upstream host ${upstreamHost} does not resolve now (${(e as { code?: string }).code ?? e}); requests to it will get 502 until it does`);
    }
  }
  const proxy = startProxy({ listen, upstreamHost, upstreamAddresses, limits, reusePort: isWorker, forwarded, hostSuffixes, policy, ...observe });
  if (typeof proxy === "string") die(proxy);
  if (isWorker) process.send?.(READY_MESSAGE);
  warnExposure(proxy.addresses);
  log.info(`cmux-proxy ${pkg.version} listening on ${proxy.addresses.map(formatAddress).join(", ")} (upstream ${upstreamHost})`);

  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info(`${sig}: no longer accepting; finishing in-flight requests (at most ${limits.shutdownTimeout}s)`);
    void proxy.stop(true).then(() => process.exit(0));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
}

/** --help: citty's rendering, with the security and admin flags in groups of their own. */
async function showHelp(): Promise<void> {
  const { renderGroupedUsage } = await import("./help");
  console.log(
    (await renderGroupedUsage(MAIN, [
      { title: "SECURITY", flags: Object.keys(SECURITY_ARGS) },
      { title: "ADMIN PAGE, METRICS, ACCESS LOG", flags: Object.keys(OBSERVE_ARGS) },
    ])) + "\n",
  );
  process.exit(0);
}

// What citty's runMain did, in its order: `healthcheck` first (chosen here rather than as a citty
// subCommand: citty runs the parent's `run`, starting a proxy, after a subcommand returns), then
// -h/--help anywhere, then a lone --version, then the proxy; an exception is printed, exit 1.
const argv = process.argv.slice(2);
if (argv[0] === "healthcheck") {
  const [{ runMain }, { healthcheckCommand }] = await Promise.all([import("citty"), import("./healthcheck")]);
  await runMain(healthcheckCommand, { rawArgs: argv.slice(1) });
} else if (argv.includes("--help") || argv.includes("-h")) await showHelp();
else if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) console.log(pkg.version);
else
  await run(parseFlags(argv, ARGS), argv).catch((error: unknown) => {
    console.error(error, "\n");
    process.exit(1);
  });
