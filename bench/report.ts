// Collects samples, then renders medians and cmux-proxy ratios as a Markdown table and as JSON.
import type { Metric } from "./scenarios";
import type { ScenarioId, SystemName } from "./settings";
import { SYSTEM_NAMES } from "./settings";
import { median } from "./stats";

const SUBJECT: SystemName = "cmux-proxy";

export type MetricResult = {
  scenario: ScenarioId;
  metric: Metric;
  samples: Partial<Record<SystemName, number[]>>;
  /** Other work on the machine during each sample, in percent of one core. */
  otherWork: Partial<Record<SystemName, number[]>>;
  errors: Partial<Record<SystemName, string>>;
};

export class Results {
  readonly rows: MetricResult[] = [];
  /** Timed runs thrown away and run again because other work disturbed them. */
  repeated = 0;

  row(scenario: ScenarioId, metric: Metric): MetricResult {
    let r = this.rows.find((x) => x.scenario === scenario && x.metric.key === metric.key);
    if (!r) {
      r = { scenario, metric, samples: {}, otherWork: {}, errors: {} };
      this.rows.push(r);
    }
    return r;
  }

  add(scenario: ScenarioId, metrics: Metric[], sys: SystemName, values: Record<string, number>, otherWork: number) {
    for (const m of metrics) {
      const v = values[m.key];
      if (v === undefined || !Number.isFinite(v)) continue;
      const row = this.row(scenario, m);
      (row.samples[sys] ??= []).push(v);
      (row.otherWork[sys] ??= []).push(Math.round(otherWork));
    }
  }

  /** The largest share of a core other work took during any kept sample. */
  worstOtherWork(): number {
    return Math.max(0, ...this.rows.flatMap((r) => Object.values(r.otherWork).flat()));
  }

  fail(scenario: ScenarioId, metrics: Metric[], sys: SystemName, message: string) {
    for (const m of metrics) this.row(scenario, m).errors[sys] = message;
  }
}

function medians(r: MetricResult): Partial<Record<SystemName, number>> {
  const out: Partial<Record<SystemName, number>> = {};
  for (const [sys, xs] of Object.entries(r.samples) as [SystemName, number[]][]) out[sys] = median(xs);
  return out;
}

/** cmux-proxy's median divided by each other system's, whichever way "better" points. */
function ratios(r: MetricResult): Partial<Record<SystemName, number>> {
  const m = medians(r);
  const subject = m[SUBJECT];
  const out: Partial<Record<SystemName, number>> = {};
  if (subject === undefined) return out;
  for (const [sys, v] of Object.entries(m) as [SystemName, number][]) {
    if (sys !== SUBJECT && v > 0) out[sys] = subject / v;
  }
  return out;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return "";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function renderTable(results: Results): string {
  const present = SYSTEM_NAMES.filter((s) => results.rows.some((r) => r.samples[s] || r.errors[s]));
  const others = present.filter((s) => s !== SUBJECT);
  const withRatios = present.includes(SUBJECT);
  const head = ["metric", "unit", ...present, ...(withRatios ? others.map((s) => `cmux/${s}`) : [])];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`];
  for (const r of results.rows) {
    const m = medians(r);
    const q = ratios(r);
    const cells = [
      r.metric.label,
      r.metric.unit + (r.metric.better === "lower" ? " (lower is better)" : ""),
      ...present.map((s) => (r.errors[s] ? "error" : fmt(m[s]))),
      ...(withRatios ? others.map((s) => (q[s] === undefined ? "" : `${q[s]!.toFixed(2)}x`)) : []),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function toJson(results: Results) {
  return results.rows.map((r) => ({
    scenario: r.scenario,
    metric: r.metric.key,
    label: r.metric.label,
    unit: r.metric.unit,
    better: r.metric.better,
    medians: medians(r),
    ratios: ratios(r),
    samples: r.samples,
    otherWorkPercent: r.otherWork,
    errors: r.errors,
  }));
}

export function errorList(results: Results): string[] {
  const seen = new Set<string>();
  for (const r of results.rows) {
    for (const [sys, msg] of Object.entries(r.errors)) seen.add(`${r.scenario} ${sys}: ${msg}`);
  }
  return [...seen];
}
