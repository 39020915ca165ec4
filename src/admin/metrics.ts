// GET /metrics: the counters in Prometheus text format.

import { renderMetrics, type Metrics, type MetricsGauges } from "../metrics";
import type { AdminResponse } from "./response";

export function metricsEndpoint(m: Metrics, gauges: MetricsGauges): AdminResponse {
  return { status: 200, headers: [["Content-Type", "text/plain; version=0.0.4; charset=utf-8"]], body: renderMetrics(m, gauges) };
}
