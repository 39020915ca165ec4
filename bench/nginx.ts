// Starts one nginx from a template in bench/nginx/: a foreground master (no daemon) with its own
// prefix directory for pid, temp files and content, so it never touches the system's nginx.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Child, Children } from "./children";
import { HOST, waitForPort } from "./net";

const TEMPLATE_DIR = `${import.meta.dir}/nginx`;

export type NginxTemplate = "upstream" | "router" | "var" | "stream";

function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`nginx template: no value for ${whole}`);
    return value;
  });
}

/** The directory nginx loads dynamic modules from, as it was built (`--modules-path`). */
function modulesPath(): string {
  const out = Bun.spawnSync(["nginx", "-V"]);
  const text = out.stderr.toString() + out.stdout.toString();
  return /--modules-path=(\S+)/.exec(text)?.[1] ?? "/usr/lib/nginx/modules";
}

export type NginxOptions = {
  name: string;
  template: NginxTemplate;
  prefix: string;
  port: number;
  cpu: number;
  nofile: number;
  /** Extra template values (port_map, upstreams, target_port). */
  vars?: Record<string, string>;
};

export async function startNginx(children: Children, o: NginxOptions): Promise<Child> {
  for (const dir of ["", "/html", "/client_body", "/proxy", "/fastcgi", "/uwsgi", "/scgi"]) {
    mkdirSync(o.prefix + dir, { recursive: true });
  }
  const read = (f: string) => readFileSync(`${TEMPLATE_DIR}/${f}`, "utf8");
  const common = { prefix: o.prefix, host: HOST, port: String(o.port), nofile: String(o.nofile) };
  const vars = { ...common, ...o.vars, http_common: fill(read("http-common.conf"), common) };
  const block = fill(read(`${o.template}.conf`), vars);
  const conf = fill(read("main.conf"), {
    ...common,
    // As root, nginx would drop its workers to `nobody`, who cannot read this private prefix.
    user: process.getuid?.() === 0 ? "user root;" : "",
    load_module: o.template === "stream" ? `load_module ${modulesPath()}/ngx_stream_module.so;` : "",
    block,
  });
  const confPath = `${o.prefix}/nginx.conf`;
  writeFileSync(confPath, conf);
  const child = children.spawn({
    name: o.name,
    cpu: o.cpu,
    cmd: ["nginx", "-p", o.prefix, "-c", confPath, "-e", "stderr", "-g", "daemon off;"],
  });
  await waitForPort(o.port, child);
  return child;
}
