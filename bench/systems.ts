// The systems under test. Each knows which scenarios it takes part in, how to start and stop its
// processes (pinned to the proxy core), and where a client connects for each kind of upstream.
import type { Child, Children } from "./children";
import { freePort, HOST, waitForPort } from "./net";
import { startNginx } from "./nginx";
import type { ScenarioId, Settings, SystemName } from "./settings";
import type { Upstreams } from "./upstreams";

export type UpstreamKind = keyof Upstreams;

/** Where a client connects, and the X-Cmux-Port-Internal value it sends. */
export type Endpoint = { port: number; target: number; connectTunnel: boolean };

export type System = {
  name: SystemName;
  scenarios: ScenarioId[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The process whose tree is the proxy (for RSS); undefined when there is no proxy. */
  pid(): number | undefined;
  /** A process of this system that has exited, if any. */
  dead(): Child | undefined;
  endpoint(kind: UpstreamKind): Endpoint;
};

export type SystemContext = {
  children: Children;
  settings: Settings;
  upstreams: Upstreams;
  tmp: string;
  nofile: number;
  cmuxBinary: string | undefined;
};

function isDead(c: Child | undefined): boolean {
  return c !== undefined && (c.proc.exitCode !== null || c.proc.signalCode !== null);
}

/** A system made of processes that each listen on their own port. */
class ProcessSystem implements System {
  private running: Child[] = [];
  private ports = new Map<UpstreamKind, number>();

  constructor(
    readonly name: SystemName,
    readonly scenarios: ScenarioId[],
    private readonly ctx: SystemContext,
    private readonly launch: (ctx: SystemContext, ports: Map<UpstreamKind, number>) => Promise<Child[]>,
    private readonly connectTunnel = false,
  ) {}

  async start() {
    this.ports = new Map();
    this.running = await this.launch(this.ctx, this.ports);
  }
  async stop() {
    await Promise.all(this.running.map((c) => this.ctx.children.stop(c)));
    this.running = [];
  }
  pid() {
    return this.running[0]?.proc.pid;
  }
  dead() {
    return this.running.find(isDead);
  }
  endpoint(kind: UpstreamKind): Endpoint {
    const port = this.ports.get(kind);
    if (port === undefined) throw new Error(`${this.name} has no listener for the ${kind} upstream`);
    return { port, target: this.ctx.upstreams[kind], connectTunnel: this.connectTunnel && kind === "sink" };
  }
}

function nginxPrefix(ctx: SystemContext, name: string) {
  return `${ctx.tmp}/${name}-${freePort()}`;
}

const direct = (ctx: SystemContext): System => ({
  name: "direct",
  scenarios: ["a", "b", "c", "d", "e", "g"],
  start: async () => {},
  stop: async () => {},
  pid: () => undefined,
  dead: () => undefined,
  endpoint: (kind) => ({ port: ctx.upstreams[kind], target: ctx.upstreams[kind], connectTunnel: false }),
});

const nginxRouter = (ctx: SystemContext) =>
  new ProcessSystem("nginx-router", ["a", "b", "c", "e", "f", "g", "h"], ctx, async (c, ports) => {
    const port = freePort();
    const used = [c.upstreams.http, c.upstreams.post, c.upstreams.ws, c.upstreams.modules];
    const vars = {
      port_map: used.map((p) => `        "${p}" port_${p};`).join("\n"),
      upstreams: used
        .map((p) => `    upstream port_${p} {\n        server ${HOST}:${p};\n        keepalive 256;\n        keepalive_requests 1000000;\n    }`)
        .join("\n"),
    };
    const child = await startNginx(c.children, {
      name: "nginx-router", template: "router", prefix: nginxPrefix(c, "nginx-router"), port, cpu: c.settings.proxyCpu, nofile: c.nofile, vars,
    });
    ports.set("http", port).set("post", port).set("ws", port).set("modules", port);
    return [child];
  });

const nginxVar = (ctx: SystemContext) =>
  new ProcessSystem("nginx-var", ["a", "b", "c", "e", "f"], ctx, async (c, ports) => {
    const port = freePort();
    const child = await startNginx(c.children, {
      name: "nginx-var", template: "var", prefix: nginxPrefix(c, "nginx-var"), port, cpu: c.settings.proxyCpu, nofile: c.nofile,
    });
    ports.set("http", port).set("post", port).set("ws", port);
    return [child];
  });

const nginxStream = (ctx: SystemContext) =>
  new ProcessSystem("nginx-stream", ["d"], ctx, async (c, ports) => {
    const port = freePort();
    const child = await startNginx(c.children, {
      name: "nginx-stream", template: "stream", prefix: nginxPrefix(c, "nginx-stream"), port, cpu: c.settings.proxyCpu, nofile: c.nofile,
      vars: { target_port: String(c.upstreams.sink) },
    });
    ports.set("sink", port);
    return [child];
  });

// One pipe per upstream, since a pipe cannot route; the HTTP one comes first, as it is the one measured for RSS.
const bunPipe = (ctx: SystemContext) =>
  new ProcessSystem("bun-pipe", ["a", "b", "c", "d", "e", "f"], ctx, async (c, ports) => {
    const kinds: UpstreamKind[] = ["http", "post", "ws", "sink"];
    return Promise.all(
      kinds.map(async (kind) => {
        const port = freePort();
        const child = c.children.spawn({
          name: `bun-pipe-${kind}`,
          cpu: c.settings.proxyCpu,
          cmd: [process.execPath, `${import.meta.dir}/servers/bun-pipe.ts`, String(port), String(c.upstreams[kind])],
        });
        await waitForPort(port, child);
        ports.set(kind, port);
        return child;
      }),
    );
  });

function cmuxSystem(name: SystemName, scenarios: ScenarioId[], workerArgs: string[], cpu: (c: SystemContext) => number | string) {
  return (ctx: SystemContext) =>
    new ProcessSystem(
      name,
      scenarios,
      ctx,
      async (c, ports) => {
        if (!c.cmuxBinary) throw new Error("cmux-proxy binary missing");
        const port = freePort();
        const child = c.children.spawn({
          name,
          cpu: cpu(c),
          cmd: [c.cmuxBinary, "--listen", `${HOST}:${port}`, ...workerArgs, ...c.settings.cmuxArgs],
        });
        await waitForPort(port, child);
        ports.set("http", port).set("post", port).set("ws", port).set("sink", port).set("modules", port);
        return [child];
      },
      true,
    );
}

const cmuxProxy = cmuxSystem("cmux-proxy", ["a", "b", "c", "d", "e", "f", "g", "h"], [], (c) => c.settings.proxyCpu);
// Two workers pinned to the proxy's one core would measure nothing new, so they get both cores,
// which they share with the load generator and the upstream: this row says what a second worker
// buys on this 2-core machine, not a like-for-like ratio to the pinned systems.
const cmuxProxy2w = cmuxSystem("cmux-proxy-2w", ["a"], ["--workers", "2"], (c) => `${c.settings.proxyCpu},${c.settings.loadCpu}`);

const FACTORIES: Record<SystemName, (ctx: SystemContext) => System> = {
  direct,
  "nginx-router": nginxRouter,
  "nginx-var": nginxVar,
  "nginx-stream": nginxStream,
  "bun-pipe": bunPipe,
  "cmux-proxy": cmuxProxy,
  "cmux-proxy-2w": cmuxProxy2w,
};

export function makeSystems(ctx: SystemContext): System[] {
  return ctx.settings.systems.map((name) => FACTORIES[name](ctx));
}
