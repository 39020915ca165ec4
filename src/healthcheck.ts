// `cmux-proxy healthcheck [--url U]`: asks a running proxy's /healthz and exits 0 on `200 ok`, 1 on
// anything else. The FROM-scratch image has no curl, so its Docker HEALTHCHECK runs this. By default
// it asks the first address of CMUX_LISTEN (a wildcard becomes loopback) with the admin Host; the
// request is written by hand so that the Host can be the admin name while the connection goes to an
// IP, with nothing to resolve inside an empty image.

import { isIP } from "node:net";
import { defineCommand } from "citty";
import { DEFAULT_ADMIN_HOST, parseAdminHost } from "./admin/access";
import { DEFAULT_LISTEN, parseListenList } from "./config";

export interface ProbeTarget {
  /** Where to connect. */
  address: string;
  port: number;
  /** The request target and Host header. */
  path: string;
  host: string;
}

const LOOPBACK_FOR: Record<string, string> = { "0.0.0.0": "127.0.0.1", "::": "::1" };
const MAX_RESPONSE_BYTES = 64 * 1024;

function authority(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * What to ask. Without a URL: the first listen address. With one: its address and path; a URL that
 * names an IP gets the admin Host, one that names a host gets that host (a `*.localhost` name is
 * connected to on 127.0.0.1, as browsers do).
 */
export function probeTarget(url: string | undefined, listen: string, adminHost: string): ProbeTarget | string {
  if (url === undefined) {
    const addrs = parseListenList([listen]);
    if (typeof addrs === "string") return addrs;
    const a = addrs[0]!;
    return { address: LOOPBACK_FOR[a.host] ?? a.host, port: a.port, path: "/healthz", host: `${adminHost}:${a.port}` };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `invalid --url "${url}" (expected e.g. http://127.0.0.1:8080/healthz)`;
  }
  if (u.protocol !== "http:") return `invalid --url "${url}": only http:// is served by the proxy`;
  const port = u.port === "" ? 80 : Number(u.port);
  const name = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const path = (u.pathname === "" ? "/" : u.pathname) + u.search;
  if (isIP(name) !== 0) return { address: LOOPBACK_FOR[name] ?? name, port, path, host: `${adminHost}:${port}` };
  const local = name === "localhost" || name.endsWith(".localhost");
  return { address: local ? "127.0.0.1" : name, port, path, host: u.host };
}

/** The status code and body of one request, or why there was none. */
export async function probe(t: ProbeTarget, timeoutMs: number): Promise<{ status: number; body: string } | string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const where = authority(t.address, t.port);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { status: number; body: string } | string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const parse = () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] ([0-9]{3})[^\r\n]*\r\n/.exec(text);
      const sep = text.indexOf("\r\n\r\n");
      if (m === null || sep === -1) return finish(`no HTTP response from ${where}`);
      finish({ status: Number(m[1]), body: Buffer.from(text.slice(sep + 4), "latin1").toString("utf8").trim() });
    };
    const timer = setTimeout(() => {
      finish(`no answer from ${where} within ${timeoutMs / 1000}s`);
      sock?.terminate();
    }, timeoutMs);
    let sock: { terminate(): void } | undefined;
    Bun.connect({
      hostname: t.address,
      port: t.port,
      socket: {
        open(s) {
          s.write(`GET ${t.path} HTTP/1.1\r\nHost: ${t.host}\r\nConnection: close\r\nUser-Agent: cmux-proxy-healthcheck\r\n\r\n`);
        },
        data(s, buf) {
          chunks.push(Buffer.from(buf));
          size += buf.length;
          if (size > MAX_RESPONSE_BYTES) s.terminate();
        },
        close() {
          parse();
        },
        error(_s, e) {
          finish(`cannot reach ${where}: ${(e as { code?: string }).code ?? e.message}`);
        },
        connectError(_s, e) {
          finish(`cannot connect to ${where}: ${(e as { code?: string }).code ?? e.message}`);
        },
      },
    }).then(
      (s) => {
        sock = s;
        if (done) s.terminate();
      },
      (e: { code?: string; message?: string }) => finish(`cannot connect to ${where}: ${e.code ?? e.message}`),
    );
  });
}

export const healthcheckCommand = defineCommand({
  meta: { name: "cmux-proxy healthcheck", description: "ask a running proxy's /healthz: exit 0 when it answers 200, else 1" },
  args: {
    url: { type: "string", description: "what to ask (default: http://<first CMUX_LISTEN address>/healthz with Host <admin host>)", valueHint: "URL" },
    "admin-host": { type: "string", description: `the proxy's admin Host name (env CMUX_ADMIN_HOST, default ${DEFAULT_ADMIN_HOST})`, valueHint: "NAME" },
    timeout: { type: "string", description: "seconds to wait for the answer (default 5)", valueHint: "S" },
  },
  async run({ args }) {
    const fail = (msg: string): never => {
      process.stderr.write(`cmux-proxy healthcheck: ${msg}\n`);
      process.exit(1);
    };
    const admin = parseAdminHost((args["admin-host"] as string | undefined) ?? (process.env.CMUX_ADMIN_HOST || DEFAULT_ADMIN_HOST));
    if (typeof admin !== "string") return fail(admin.error);
    const timeoutText = (args.timeout as string | undefined) ?? "5";
    const timeout = Number(timeoutText);
    if (!Number.isFinite(timeout) || timeout <= 0) return fail(`invalid --timeout "${timeoutText}" (expected a positive number of seconds)`);
    const target = probeTarget(args.url as string | undefined, process.env.CMUX_LISTEN || DEFAULT_LISTEN, admin);
    if (typeof target === "string") return fail(target);
    const r = await probe(target, timeout * 1000);
    if (typeof r === "string") return fail(r);
    const asked = `http://${authority(target.address, target.port)}${target.path} (Host ${target.host})`;
    if (r.status !== 200) return fail(`${asked} answered ${r.status}: ${r.body}`);
    process.stdout.write(`${r.body}\n`);
    process.exit(0);
  },
});
