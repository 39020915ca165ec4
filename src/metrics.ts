// Counters the hot path bumps, and their Prometheus text rendering for /metrics. The counters are
// plain numbers and fixed-size typed arrays indexed by small integer constants: a bump is one
// increment, with no allocation and no map keyed per request. Gauges (connections open by phase,
// idle pooled upstreams) are counted from the proxy's own state when /metrics is asked, so the hot
// path keeps no second copy of them that could drift.
//
// One Metrics per running proxy (tests run several in one process). With --workers, each worker
// has its own: a scrape sees the counters of the worker that accepted it.

/** How a request chose its target. `none`: it never got one (a parse or routing error). */
export const ROUTE = { header: 0, host: 1, admin: 2, none: 3 } as const;
export type RoutedBy = (typeof ROUTE)[keyof typeof ROUTE];
export const ROUTE_NAMES = ["header", "host", "admin", "none"] as const;

/** Where a client connection is: idle between requests, reading a head, in an exchange, spliced. */
export const PHASE = { idle: 0, head: 1, exchange: 2, tunnel: 3 } as const;
export type PhaseKind = (typeof PHASE)[keyof typeof PHASE];
const PHASE_NAMES = ["idle", "head", "exchange", "tunnel"] as const;

/** Statuses the proxy answers for a head or body it could not accept; 502 is an upstream's. */
const PARSE_STATUSES = [400, 431, 501, 502, 505] as const;
const STATUS_CLASSES = 5;

export class Metrics {
  /** Finished exchanges, index `route * 5 + (status class - 1)`. */
  readonly requests = new Float64Array(ROUTE_NAMES.length * STATUS_CLASSES);
  readonly parseErrors = new Float64Array(PARSE_STATUSES.length);
  clientsAccepted = 0;
  upgrades = 0;
  tunnels = 0;
  upstreamConnects = 0;
  connectFailures = 0;
  connectTimeouts = 0;
  responseTimeouts = 0;
  upstreamReuses = 0;
  bytesFromClients = 0;
  bytesFromUpstreams = 0;

  request(route: RoutedBy, status: number): void {
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= STATUS_CLASSES) this.requests[route * STATUS_CLASSES + cls - 1]!++;
  }

  parseError(status: number): void {
    for (let i = 0; i < PARSE_STATUSES.length; i++) {
      if (PARSE_STATUSES[i] === status) {
        this.parseErrors[i]!++;
        return;
      }
    }
  }
}

/** What /metrics reads from the proxy's state at the moment it is asked. */
export interface MetricsGauges {
  /** Client connections open, index PHASE. */
  clientsOpen: readonly number[];
  upgradesOpen: number;
  tunnelsOpen: number;
  pooledUpstreams: number;
  draining: boolean;
}

/** Gauges with every count at zero, to fill in. */
export function emptyGauges(): MetricsGauges {
  return { clientsOpen: PHASE_NAMES.map(() => 0), upgradesOpen: 0, tunnelsOpen: 0, pooledUpstreams: 0, draining: false };
}

type Sample = [labels: string, value: number];

function family(out: string[], name: string, type: "counter" | "gauge", help: string, samples: Sample[]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labels === "" ? "" : `{${labels}}`} ${value}`);
}

/** The Prometheus text exposition format (version 0.0.4). */
export function renderMetrics(m: Metrics, g: MetricsGauges): string {
  const out: string[] = [];
  const requests: Sample[] = [];
  for (let r = 0; r < ROUTE_NAMES.length; r++) {
    for (let c = 0; c < STATUS_CLASSES; c++) {
      requests.push([`route="${ROUTE_NAMES[r]}",code="${c + 1}xx"`, m.requests[r * STATUS_CLASSES + c]!]);
    }
  }
  family(out, "cmux_requests_total", "counter", "Finished requests by how the target was chosen and the status class answered.", requests);
  family(out, "cmux_client_connections_accepted_total", "counter", "Client connections accepted.", [["", m.clientsAccepted]]);
  family(
    out,
    "cmux_client_connections_open",
    "gauge",
    "Client connections open, by phase: idle (keep-alive), head (reading a request head), exchange, tunnel.",
    PHASE_NAMES.map((p, i) => [`phase="${p}"`, g.clientsOpen[i] ?? 0]),
  );
  family(out, "cmux_upgrades_total", "counter", "Upgrades (101 Switching Protocols) spliced.", [["", m.upgrades]]);
  family(out, "cmux_upgrades_open", "gauge", "Upgraded connections open.", [["", g.upgradesOpen]]);
  family(out, "cmux_tunnels_total", "counter", "CONNECT tunnels established.", [["", m.tunnels]]);
  family(out, "cmux_tunnels_open", "gauge", "CONNECT tunnels open.", [["", g.tunnelsOpen]]);
  family(out, "cmux_upstream_connects_total", "counter", "New upstream connections attempted.", [["", m.upstreamConnects]]);
  family(out, "cmux_upstream_connect_failures_total", "counter", "Upstream connections refused or failed.", [["", m.connectFailures]]);
  family(out, "cmux_upstream_connect_timeouts_total", "counter", "Upstream connections not made within --connect-timeout.", [["", m.connectTimeouts]]);
  family(out, "cmux_upstream_response_timeouts_total", "counter", "Upstreams that sent no response head within --upstream-timeout.", [["", m.responseTimeouts]]);
  family(out, "cmux_upstream_reuses_total", "counter", "Requests sent on a pooled keep-alive upstream connection.", [["", m.upstreamReuses]]);
  family(out, "cmux_upstream_pooled_connections", "gauge", "Idle keep-alive upstream connections in the pool.", [["", g.pooledUpstreams]]);
  family(out, "cmux_received_bytes_total", "counter", "Bytes received, by who sent them (heads, bodies and tunnel bytes).", [
    [`from="client"`, m.bytesFromClients],
    [`from="upstream"`, m.bytesFromUpstreams],
  ]);
  family(
    out,
    "cmux_parse_errors_total",
    "counter",
    "Requests answered with the proxy's own error for a head or body it could not accept (502: the upstream's response).",
    PARSE_STATUSES.map((s, i) => [`status="${s}"`, m.parseErrors[i]!]),
  );
  family(out, "cmux_draining", "gauge", "1 while the proxy is shutting down gracefully.", [["", g.draining ? 1 : 0]]);
  return out.join("\n") + "\n";
}
