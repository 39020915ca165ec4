// The admin endpoints by path. Only GET and HEAD; anything else is answered here too, never
// forwarded: the admin name is the proxy's own.

import type { Metrics, MetricsGauges } from "../metrics";
import { originForm } from "../http/target-form";
import { healthz } from "./healthz";
import { buildListing, linkPortOf } from "./listing";
import { listenersJson } from "./listeners-json";
import { metricsEndpoint } from "./metrics";
import { page } from "./page";
import { textResponse, type AdminResponse } from "./response";
import type { Snapshot } from "./snapshot";

export interface AdminState {
  draining: boolean;
  metrics: Metrics;
  gauges(): MetricsGauges;
  snapshot(): Promise<Snapshot>;
  /** The proxy's own bound addresses. */
  listening: readonly { host: string; port: number }[];
  upstreamHost: string;
}

export interface AdminRequest {
  method: string;
  target: string;
  /** The Host header: links on the page keep its port. */
  host: string;
}

const ENDPOINTS = "/, /api/listeners, /healthz, /metrics";

function pathOf(target: string): string {
  const t = originForm(target);
  const q = t.search(/[?#]/);
  return q === -1 ? t : t.slice(0, q);
}

/** The answer; the listing's endpoints wait for a reading of /proc (never on the event loop). */
export function adminResponse(req: AdminRequest, state: AdminState): AdminResponse | Promise<AdminResponse> {
  const path = pathOf(req.target);
  if (req.method !== "GET" && req.method !== "HEAD") {
    return textResponse(405, `${req.method} is not served here: the admin endpoints (${ENDPOINTS}) answer GET and HEAD`, [["Allow", "GET, HEAD"]]);
  }
  switch (path) {
    case "/healthz":
      return healthz(state.draining);
    case "/metrics":
      return metricsEndpoint(state.metrics, state.gauges());
    case "/":
    case "/api/listeners":
      return state.snapshot().then((snap) => {
        const listing = buildListing({ ...snap, listening: state.listening, linkPort: linkPortOf(req.host), upstreamHost: state.upstreamHost, now: new Date() });
        return path === "/" ? page(listing) : listenersJson(listing);
      });
    default:
      return textResponse(404, `no admin endpoint ${JSON.stringify(path)} (expected one of ${ENDPOINTS})`);
  }
}
