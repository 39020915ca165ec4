// The counters and their Prometheus rendering, checked by promtool (Debian's prometheus package).

import { describe, expect, test } from "bun:test";
import { emptyGauges, Metrics, PHASE, renderMetrics, ROUTE, type RoutedBy } from "../src/metrics";

const gauges = emptyGauges();

/** The value of one sample line, by its name and labels exactly as rendered. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("request() counts by route kind and status class", () => {
  test.each<[RoutedBy, number, string]>([
    [ROUTE.header, 200, `cmux_requests_total{route="header",code="2xx"}`],
    [ROUTE.header, 101, `cmux_requests_total{route="header",code="1xx"}`],
    [ROUTE.host, 304, `cmux_requests_total{route="host",code="3xx"}`],
    [ROUTE.host, 404, `cmux_requests_total{route="host",code="4xx"}`],
    [ROUTE.admin, 503, `cmux_requests_total{route="admin",code="5xx"}`],
    [ROUTE.none, 400, `cmux_requests_total{route="none",code="4xx"}`],
    [ROUTE.none, 599, `cmux_requests_total{route="none",code="5xx"}`],
  ])("%p %p", (route, status, series) => {
    const m = new Metrics();
    m.request(route, status);
    m.request(route, status);
    const text = renderMetrics(m, gauges);
    expect(sample(text, series)).toBe(2);
    // Exactly one series moved.
    const moved = text.split("\n").filter((l) => l.startsWith("cmux_requests_total{") && !l.endsWith(" 0"));
    expect(moved).toEqual([`${series} 2`]);
  });

  test.each([0, 99, 600, 1000])("status %p is no class: nothing counted", (status) => {
    const m = new Metrics();
    m.request(ROUTE.header, status);
    expect([...m.requests].every((v) => v === 0)).toBe(true);
  });
});

describe("parseError() counts by status", () => {
  test.each([400, 431, 501, 502, 505])("%p", (status) => {
    const m = new Metrics();
    m.parseError(status);
    expect(sample(renderMetrics(m, gauges), `cmux_parse_errors_total{status="${status}"}`)).toBe(1);
  });

  test("a status that is no parse error is not counted", () => {
    const m = new Metrics();
    m.parseError(404);
    m.parseError(408);
    expect([...m.parseErrors].every((v) => v === 0)).toBe(true);
  });
});

test("gauges are read at render time: connections by phase, upgrades, tunnels, pool, draining", () => {
  const g = emptyGauges();
  const clients = [3, 1, 2, 0];
  clients[PHASE.tunnel] = 4;
  const text = renderMetrics(new Metrics(), { clientsOpen: clients, upgradesOpen: 5, tunnelsOpen: 6, pooledUpstreams: 7, draining: true });
  expect(sample(text, `cmux_client_connections_open{phase="idle"}`)).toBe(3);
  expect(sample(text, `cmux_client_connections_open{phase="head"}`)).toBe(1);
  expect(sample(text, `cmux_client_connections_open{phase="exchange"}`)).toBe(2);
  expect(sample(text, `cmux_client_connections_open{phase="tunnel"}`)).toBe(4);
  expect(sample(text, "cmux_upgrades_open")).toBe(5);
  expect(sample(text, "cmux_tunnels_open")).toBe(6);
  expect(sample(text, "cmux_upstream_pooled_connections")).toBe(7);
  expect(sample(text, "cmux_draining")).toBe(1);
  expect(sample(renderMetrics(new Metrics(), g), "cmux_draining")).toBe(0);
});

async function promtool(text: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["promtool", "check", "metrics"], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), 20_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, output: out + err };
}

test("promtool check metrics accepts the rendering, with every counter moved", async () => {
  const m = new Metrics();
  m.request(ROUTE.header, 200);
  m.clientsAccepted = 2;
  m.upgrades = m.tunnels = 1;
  m.upstreamConnects = 5;
  m.connectFailures = m.connectTimeouts = m.responseTimeouts = m.upstreamReuses = 1;
  m.bytesFromClients = 123456789012;
  m.bytesFromUpstreams = 2 ** 40;
  m.parseError(431);
  const text = renderMetrics(m, { clientsOpen: [1, 0, 1, 0], upgradesOpen: 1, tunnelsOpen: 0, pooledUpstreams: 3, draining: false });
  expect(sample(text, `cmux_received_bytes_total{from="client"}`)).toBe(123456789012);
  const r = await promtool(text);
  expect(r.output).toBe("");
  expect(r.code).toBe(0);
});

test("promtool fails on a broken rendering (the check can fail)", async () => {
  const text = renderMetrics(new Metrics(), gauges).replace("# TYPE cmux_tunnels_total counter", "# TYPE cmux_tunnels_total counter\n# TYPE cmux_tunnels_total gauge");
  const r = await promtool(text);
  expect(r.code).not.toBe(0);
});
