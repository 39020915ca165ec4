// Every knob of the bench, read once from the environment. Defaults keep a full run under five
// minutes on a 2-core machine; each knob exists so a developer can run one scenario quickly.
// Many short rounds rather than a few long ones: on a shared machine a burst of other work spoils
// one round, and the median of five shrugs off two spoiled rounds.

export const SCENARIO_IDS = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const SYSTEM_NAMES = [
  "direct",
  "nginx-router",
  "nginx-var",
  "nginx-stream",
  "bun-pipe",
  "cmux-proxy",
  "cmux-proxy-2w",
] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export type Settings = {
  seconds: number; // length of one timed measurement (wrk and WebSocket runs)
  warmupSeconds: number; // untimed run per system before a scenario's first round; 0 disables
  rounds: number;
  scenarios: ScenarioId[];
  systems: SystemName[];
  connectBytes: number;
  idleConnections: number;
  nice: number;
  proxyCpu: number;
  loadCpu: number;
  cmuxBin: string | undefined;
  cmuxArgs: string[];
  outFile: string;
  keepTmp: boolean;
};

function int(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  // wrk takes whole seconds only, so every number here is an integer.
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not an integer >= ${min}`);
  }
  return Number(raw);
}

function list<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return [...allowed];
  const picked = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const p of picked) {
    if (!(allowed as readonly string[]).includes(p)) {
      throw new Error(`${name}: unknown entry ${JSON.stringify(p)} (expected some of ${allowed.join(",")})`);
    }
  }
  // Keep the canonical order so tables always read the same way.
  return allowed.filter((a) => picked.includes(a));
}

// Negative values put the bench ahead of other work on a shared machine (root only).
function niceness(): number {
  const raw = process.env.BENCH_NICE;
  if (raw === undefined || raw === "") return 0;
  if (!/^-?\d+$/.test(raw.trim()) || Math.abs(Number(raw)) > 19) {
    throw new Error(`BENCH_NICE=${JSON.stringify(raw)} is not an integer from -19 to 19`);
  }
  return Number(raw);
}

export function readSettings(repoRoot: string): Settings {
  return {
    seconds: int("BENCH_SECONDS", 1, 1),
    warmupSeconds: int("BENCH_WARMUP", 1, 0),
    rounds: int("BENCH_ROUNDS", 5, 1),
    scenarios: list("BENCH_ONLY", SCENARIO_IDS),
    systems: list("BENCH_SYSTEMS", SYSTEM_NAMES),
    connectBytes: int("BENCH_CONNECT_BYTES", 1 << 30, 1),
    idleConnections: int("BENCH_IDLE_CONNS", 5000, 1),
    nice: niceness(),
    proxyCpu: int("BENCH_PROXY_CPU", 0, 0),
    loadCpu: int("BENCH_LOAD_CPU", 1, 0),
    cmuxBin: process.env.BENCH_CMUX_BIN || undefined,
    cmuxArgs: (process.env.BENCH_CMUX_ARGS ?? "").split(/\s+/).filter((s) => s !== ""),
    outFile: process.env.BENCH_OUT || `${repoRoot}/bench/results/latest.json`,
    keepTmp: process.env.BENCH_KEEP_TMP === "1",
  };
}
