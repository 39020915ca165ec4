// `bun run bench`: starts the upstreams and every system, measures each scenario in rounds that
// alternate the systems (A B C A B C ...), prints medians and cmux-proxy's ratios, and writes
// bench/results/latest.json. Everything it starts is stopped on exit, on Ctrl-C and on error.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { Children } from "./children";
import { cmuxBinary } from "./cmux-binary";
import { cpuBusy } from "./machine";
import { errorList, renderTable, Results, toJson } from "./report";
import { DISTURBED_PERCENT, type RoundsContext, runScenario } from "./rounds";
import { SCENARIOS } from "./scenarios";
import { readSettings } from "./settings";
import { makeSystems } from "./systems";
import { checkNofile, ensureTools, neededNofile, versions } from "./tools";
import { startUpstreams } from "./upstreams";

const repoRoot = resolve(import.meta.dir, "..");
const settings = (() => {
  try {
    return readSettings(repoRoot);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(2);
  }
})();
const tmp = mkdtempSync(`${tmpdir()}/cmux-bench-`);
const logDir = `${tmp}/logs`;
mkdirSync(logDir);
const nofile = settings.scenarios.includes("f") ? neededNofile(settings) : 4096;
const children = new Children(logDir, nofile, settings.nice);
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)}s`;

let cleaning: Promise<void> | undefined;
let interrupted = false;
function cleanup(): Promise<void> {
  cleaning ??= children.stopAll().then(() => {
    if (settings.keepTmp) console.log(`kept ${tmp} (logs in ${logDir})`);
    else rmSync(tmp, { recursive: true, force: true });
  });
  return cleaning;
}
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping everything the bench started`);
    void cleanup().finally(() => process.exit(code));
  });
}
// If the event loop dies anyway, nothing may outlive the bench.
process.on("exit", () => children.killAllNow());

const describe = (busy: Record<string, number>) =>
  Object.entries(busy).map(([cpu, pct]) => `${cpu} ${pct}%`).join(", ");

async function main(): Promise<void> {
  ensureTools(settings);
  checkNofile(nofile);
  // Built before pinning, so the compile may use every core.
  const cmux = settings.systems.some((s) => s.startsWith("cmux-proxy")) ? cmuxBinary(repoRoot, tmp, settings.cmuxBin) : undefined;
  // The harness itself only waits, but it lives on the load core so it never competes with a proxy.
  Bun.spawnSync(["taskset", "-a", "-p", "-c", String(settings.loadCpu), String(process.pid)], { stdout: "ignore" });
  const pinning = `proxies pinned to CPU ${settings.proxyCpu}; load generators, upstreams and this harness to CPU ${settings.loadCpu} (taskset)`;
  console.log(`cmux-proxy bench: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), loopback only`);
  console.log(pinning);
  console.log(
    `systems: ${settings.systems.join(", ")}; scenarios: ${settings.scenarios.join(", ")}; ` +
      `${settings.rounds} rounds of ${settings.seconds}s (warm-up ${settings.warmupSeconds}s), ` +
      `tunnel ${settings.connectBytes} bytes, ${settings.idleConnections} idle connections` +
      (settings.nice !== 0 ? `, every process at nice ${settings.nice}` : ""),
  );
  const busyBefore = await cpuBusy(1000);
  const busiest = Math.max(0, ...Object.values(busyBefore));
  console.log(`CPU busy before start (other work on this machine): ${describe(busyBefore)}`);
  if (busiest > 20) console.log("warning: the machine is not idle; expect noisy numbers (medians help, a quiet machine helps more)");
  if (cmux) console.log(`cmux-proxy binary: ${cmux.path} (${cmux.how})${settings.cmuxArgs.length ? ` args: ${settings.cmuxArgs.join(" ")}` : ""}`);

  const upstreams = await startUpstreams(children, tmp, settings.loadCpu, nofile);
  const systems = makeSystems({ children, settings, upstreams, tmp, nofile, cmuxBinary: cmux?.path });
  for (const sys of systems) await sys.start();
  console.log(`[${elapsed()}] upstreams and systems started`);

  const results = new Results();
  // A busy machine may stretch the run by at most 45 s of waiting and repeating (5 minutes in all).
  const rc: RoundsContext = { children, settings, results, interrupted: () => interrupted, repeatBudget: { ms: 45_000 } };
  for (const scenario of SCENARIOS.filter((s) => settings.scenarios.includes(s.id))) {
    if (interrupted) return;
    const taking = systems.filter((s) => s.scenarios.includes(scenario.id));
    console.log(`\n[${elapsed()}] ${scenario.title}: ${taking.map((s) => s.name).join(", ")}`);
    await runScenario(rc, scenario, taking);
  }

  if (interrupted) return; // half a run must not replace the last full report
  await children.stopAll();
  const busyAfter = await cpuBusy(1000);
  const table = renderTable(results);
  console.log(`\nMedians of ${settings.rounds} rounds; cmux/X is cmux-proxy's median divided by X's.`);
  console.log(`${pinning}.`);
  console.log(
    `Other work on the machine: CPU busy ${describe(busyBefore)} before the run, ${describe(busyAfter)} after it; ` +
      `during the kept timed runs at most ${results.worstOtherWork().toFixed(0)}% of a core; ` +
      `${results.repeated} run(s) repeated because it took more than ${DISTURBED_PERCENT}%.\n`,
  );
  console.log(table);
  const errors = errorList(results);
  if (errors.length > 0) console.log(`\nerrors:\n${errors.map((e) => `  ${e}`).join("\n")}`);

  const report = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      kernel: release(),
      memoryBytes: totalmem(),
      network: "loopback",
      cpuBusyPercentBeforeStart: busyBefore,
      cpuBusyPercentAfterEnd: busyAfter,
    },
    versions: versions(),
    pinning: { proxyCpu: settings.proxyCpu, loadCpu: settings.loadCpu, note: pinning },
    settings: { ...settings, outFile: undefined },
    cmuxBinary: cmux?.how,
    repeatedBecauseDisturbed: results.repeated,
    durationSeconds: Math.round((performance.now() - began) / 1000),
    metrics: toJson(results),
    table,
  };
  mkdirSync(dirname(settings.outFile), { recursive: true });
  writeFileSync(settings.outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n[${elapsed()}] wrote ${settings.outFile}`);
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  console.error(`bench failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
