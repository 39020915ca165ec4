// Random HTTP/1.1 messages for the property tests: valid requests and responses built from the RFC 9112
// grammar (so what they mean is known before any parser sees them), byte-level mutations of them, and
// "smuggling" mutations that every strict parser must refuse. Messages are latin1 strings: one char
// per byte, so any byte value can appear.

import type { Rng } from "./prng";

export const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX = "0123456789abcdefABCDEF";
const VCHAR = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
// RFC 3986 pchar without pct-encoding (added separately), and what a query may add.
const PCHAR = ALNUM + "-._~!$&'()*+,;=:@";
const QUERY = PCHAR + "/?";

// Methods llhttp knows (it refuses others); CONNECT and PRI are left out: they change how the rest of
// the stream is read.
export const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "MKCOL", "PURGE", "REPORT", "SEARCH", "LINK", "QUERY"];
const COMMON_NAMES = ["Host", "Accept", "Accept-Encoding", "User-Agent", "Cookie", "Content-Type", "X-Request-Id", "Authorization", "Cache-Control", "If-None-Match", "Referer", "X-Forwarded-For", "Origin", "Set-Cookie", "Vary", "ETag", "Date", "Server", "Location", "Link"];
// Names the generator never picks at random: they frame the message, route it, or change how llhttp
// reads the stream (upgrade), so they appear only where a generator or mutation puts them on purpose.
const RESERVED_NAMES = new Set(["host", "content-length", "transfer-encoding", "connection", "upgrade", "expect", "te", "trailer", "keep-alive", "proxy-connection"]);

export interface Field {
  name: string;
  value: string;
  /** Optional whitespace around the value. */
  before: string;
  after: string;
}

export interface Chunk {
  size: number;
  sizeText: string;
  ext: string;
  data: string;
}

export type Body =
  | { kind: "none" }
  | { kind: "length"; data: string }
  | { kind: "chunked"; chunks: Chunk[]; lastSizeText: string; lastExt: string; trailers: Field[] }
  /** Response only: the body runs until the connection closes. */
  | { kind: "close"; data: string };

export interface Req {
  leading: number;
  method: string;
  target: string;
  minor: 0 | 1;
  fields: Field[];
  body: Body;
}

export interface Res {
  minor: 0 | 1;
  status: number;
  /** null: the status line ends right after the code (no SP). */
  reason: string | null;
  fields: Field[];
  body: Body;
  /** The request was HEAD: no body whatever the head says. */
  toHead: boolean;
}

// ---- serialisation ----------------------------------------------------------------------------

export function fieldLine(f: Field): string {
  return `${f.name}:${f.before}${f.value}${f.after}\r\n`;
}

export function serializeBody(b: Body): string {
  switch (b.kind) {
    case "none":
      return "";
    case "length":
    case "close":
      return b.data;
    case "chunked": {
      let out = "";
      for (const c of b.chunks) out += `${c.sizeText}${c.ext}\r\n${c.data}\r\n`;
      out += `${b.lastSizeText}${b.lastExt}\r\n`;
      for (const t of b.trailers) out += fieldLine(t);
      return out + "\r\n";
    }
  }
}

export function requestHead(r: Req): string {
  return "\r\n".repeat(r.leading) + `${r.method} ${r.target} HTTP/1.${r.minor}\r\n` + r.fields.map(fieldLine).join("") + "\r\n";
}

export function responseHead(r: Res): string {
  const line = r.reason === null ? `HTTP/1.${r.minor} ${r.status}` : `HTTP/1.${r.minor} ${r.status} ${r.reason}`;
  return `${line}\r\n` + r.fields.map(fieldLine).join("") + "\r\n";
}

export function serializeRequest(r: Req): string {
  return requestHead(r) + serializeBody(r.body);
}

export function serializeResponse(r: Res): string {
  return responseHead(r) + serializeBody(r.body);
}

/** The body's payload length (chunked: the sum of the chunk sizes). */
export function payloadLength(b: Body): number {
  switch (b.kind) {
    case "none":
      return 0;
    case "length":
    case "close":
      return b.data.length;
    case "chunked":
      return b.chunks.reduce((n, c) => n + c.size, 0);
  }
}

// ---- valid messages ---------------------------------------------------------------------------

function ows(rng: Rng): string {
  if (rng.chance(0.6)) return rng.chance(0.7) ? "" : " ";
  return rng.string(" \t", rng.range(1, 3));
}

/** A field value: visible chars and obs-text, inner SP/HTAB, never leading or trailing whitespace. */
export function fieldValue(rng: Rng, maxLen = 40): string {
  const n = rng.int(maxLen + 1);
  let out = "";
  for (let i = 0; i < n; i++) {
    const inner = i > 0 && i < n - 1;
    const r = rng.int(100);
    if (inner && r < 10) out += rng.pick([" ", " ", "\t"]);
    else if (r < 15) out += rng.pick([...OBS_TEXT]);
    else out += rng.pick([...VCHAR]);
  }
  return out;
}

function fieldName(rng: Rng): string {
  for (;;) {
    let name = rng.chance(0.6) ? rng.pick(COMMON_NAMES) : rng.string(TCHAR, rng.range(1, 12));
    if (rng.chance(0.2)) name = name.toLowerCase();
    else if (rng.chance(0.1)) name = name.toUpperCase();
    if (!RESERVED_NAMES.has(name.toLowerCase())) return name;
  }
}

function field(rng: Rng, name: string, value: string): Field {
  return { name, value, before: ows(rng), after: ows(rng) };
}

/** llhttp reads HTAB around Content-Length and Transfer-Encoding values as part of them. */
function framingField(rng: Rng, opts: GenOptions, name: string, value: string): Field {
  const f = field(rng, name, value);
  return opts.llhttpSafe ? { ...f, before: f.before.replaceAll("\t", " "), after: f.after.replaceAll("\t", " ") } : f;
}

function randomFields(rng: Rng, max: number): Field[] {
  return Array.from({ length: rng.int(max + 1) }, () => field(rng, fieldName(rng), fieldValue(rng)));
}

function insertAt<T>(rng: Rng, list: T[], item: T): void {
  list.splice(rng.int(list.length + 1), 0, item);
}

function pctOrChar(rng: Rng, alphabet: string): string {
  return rng.chance(0.05) ? "%" + rng.string(HEX, 2) : rng.pick([...alphabet]);
}

function target(rng: Rng, method: string): string {
  if (method === "OPTIONS" && rng.chance(0.2)) return "*";
  let path = "";
  const segments = rng.int(5);
  for (let i = 0; i < segments; i++) {
    path += "/";
    for (let n = rng.int(9); n > 0; n--) path += pctOrChar(rng, PCHAR);
  }
  if (path === "") path = "/";
  if (rng.chance(0.3)) {
    path += "?";
    for (let n = rng.int(16); n > 0; n--) path += pctOrChar(rng, QUERY);
  }
  if (rng.chance(0.1)) {
    const host = rng.string("abcdefghijklmnopqrstuvwxyz", rng.range(1, 10)) + (rng.chance(0.5) ? ".test" : "");
    return `http://${host}${rng.chance(0.5) ? ":" + rng.range(1, 65535) : ""}${path}`;
  }
  return path;
}

/** Opaque body bytes: anything, framing-lookalikes included. */
function bodyData(rng: Rng, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += rng.chance(0.1) ? rng.pick(["\r", "\n", "0", ";"]) : String.fromCharCode(rng.int(256));
  return out;
}

function hexSize(rng: Rng, n: number): string {
  let s = n.toString(16);
  if (rng.chance(0.3)) s = s.toUpperCase();
  if (rng.chance(0.1)) s = "0".repeat(rng.range(1, 13 - s.length)) + s;
  return s;
}

function chunkExt(rng: Rng, bws: boolean): string {
  if (rng.chance(0.7)) return "";
  let out = "";
  for (let n = rng.range(1, 2); n > 0; n--) {
    out += (bws && rng.chance(0.3) ? rng.pick([" ", "\t"]) : "") + ";" + rng.string(TCHAR, rng.range(1, 6));
    if (rng.chance(0.6)) out += "=" + (rng.chance(0.7) ? rng.string(TCHAR, rng.range(1, 6)) : `"${rng.string(ALNUM + " ;=", rng.range(0, 6))}"`);
  }
  return out;
}

export interface GenOptions {
  /** Only what llhttp (Node's strict parser) also accepts: known methods, no whitespace before `;`. */
  llhttpSafe: boolean;
}

export function chunkedBody(rng: Rng, opts: GenOptions): Body {
  const chunks: Chunk[] = [];
  for (let n = rng.int(5); n > 0; n--) {
    const size = rng.range(1, rng.chance(0.1) ? 2000 : 40);
    chunks.push({ size, sizeText: hexSize(rng, size), ext: chunkExt(rng, !opts.llhttpSafe), data: bodyData(rng, size) });
  }
  const trailers = rng.chance(0.3) ? Array.from({ length: rng.range(1, 3) }, () => field(rng, fieldName(rng), fieldValue(rng, 20))) : [];
  return { kind: "chunked", chunks, lastSizeText: rng.chance(0.1) ? "000" : "0", lastExt: chunkExt(rng, !opts.llhttpSafe), trailers };
}

export function genRequest(rng: Rng, opts: GenOptions): Req {
  const method = opts.llhttpSafe || rng.chance(0.7) ? rng.pick(KNOWN_METHODS) : rng.string(TCHAR, rng.range(1, 10));
  const minor: 0 | 1 = rng.chance(0.1) ? 0 : 1;
  const fields = randomFields(rng, 8);
  if (rng.chance(0.8)) insertAt(rng, fields, field(rng, rng.pick(["Host", "host", "HOST"]), rng.string(ALNUM + ".-:", rng.range(1, 20))));
  let body: Body = { kind: "none" };
  const r = rng.int(10);
  if (r < 3) {
    const data = bodyData(rng, rng.int(rng.chance(0.1) ? 3000 : 60));
    body = data.length === 0 && rng.chance(0.5) ? { kind: "none" } : { kind: "length", data };
    insertAt(rng, fields, framingField(rng, opts, rng.pick(["Content-Length", "content-length"]), String(data.length)));
  } else if (r < 6 && minor === 1) {
    body = chunkedBody(rng, opts);
    insertAt(rng, fields, framingField(rng, opts, rng.pick(["Transfer-Encoding", "transfer-encoding"]), rng.pick(["chunked", "chunked", "Chunked"])));
  }
  return { leading: rng.chance(0.05) ? rng.range(1, 4) : 0, method, target: target(rng, method), minor, fields, body };
}

const STATUSES = [200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 409, 500, 502, 503];

export function genResponse(rng: Rng, opts: GenOptions): Res {
  const minor: 0 | 1 = rng.chance(0.1) ? 0 : 1;
  const status = rng.chance(0.8) ? rng.pick(STATUSES) : rng.chance(0.2) ? rng.pick([100, 103]) : rng.range(200, 599);
  const reason = rng.chance(0.05) ? null : fieldValue(rng, 20);
  const fields = randomFields(rng, 8);
  const toHead = rng.chance(0.1);
  const bodiless = toHead || status < 200 || status === 204 || status === 304;
  let body: Body = { kind: "none" };
  const r = rng.int(10);
  if (r < 4) {
    const data = bodyData(rng, rng.int(rng.chance(0.1) ? 3000 : 60));
    if (!bodiless && data.length > 0) body = { kind: "length", data };
    if (status >= 200) insertAt(rng, fields, framingField(rng, opts, "Content-Length", String(data.length)));
  } else if (r < 7) {
    const chunked = chunkedBody(rng, opts);
    if (!bodiless) body = chunked;
    if (status >= 200) insertAt(rng, fields, framingField(rng, opts, "Transfer-Encoding", "chunked"));
  } else if (!bodiless) {
    const data = bodyData(rng, rng.int(60));
    if (data.length > 0) body = { kind: "close", data };
  }
  return { minor, status, reason, fields, body, toHead };
}

// ---- byte-level mutation ----------------------------------------------------------------------

const INTERESTING = ["\r", "\n", "\r\n", " ", "\t", ":", "\0", "\x01", "\x0b", "\x0c", "\x1f", "\x7f", "\x80", "\x85", "\xa0", "\xff", ",", ";", "=", '"', "0", "9", "a", "f", "g", "-", "+", "/", "?", "%"];
const SNIPPETS = [
  "\r\n",
  "\r\n\r\n",
  "\n\n",
  "\r\n ",
  "\r\n\t",
  "Content-Length: 5\r\n",
  "Content-Length: 0\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Transfer-Encoding: identity\r\n",
  "Host: a\r\n",
  "0\r\n\r\n",
  "5\r\nhello\r\n",
  " HTTP/1.1",
  "HTTP/1.0",
  "chunked",
  "\xa0",
];

/** One to three random byte-level edits of `s`. */
export function mutateBytes(rng: Rng, s: string): string {
  for (let k = rng.range(1, 3); k > 0; k--) {
    const i = rng.int(s.length + 1);
    switch (rng.int(8)) {
      case 0:
        s = s.slice(0, i) + (rng.chance(0.5) ? rng.pick(INTERESTING) : String.fromCharCode(rng.int(256))) + s.slice(i + 1);
        break;
      case 1:
        s = s.slice(0, i) + rng.pick(INTERESTING) + s.slice(i);
        break;
      case 2:
        s = s.slice(0, i) + rng.pick(SNIPPETS) + s.slice(i);
        break;
      case 3:
        s = s.slice(0, i) + s.slice(i + rng.range(1, 4));
        break;
      case 4: {
        const j = Math.min(s.length, i + rng.range(1, 64));
        s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
        break;
      }
      case 5: {
        // A CRLF becomes a bare LF (or a bare CR).
        const at = s.indexOf("\r\n", i);
        if (at !== -1) s = s.slice(0, at) + (rng.chance(0.8) ? "\n" : "\r") + s.slice(at + 2);
        break;
      }
      case 6:
        s = s.slice(0, i);
        break;
      case 7: {
        // ASCII letters only: other latin1 letters may change case outside latin1 (µ -> Μ).
        const c = s.charCodeAt(i);
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) s = s.slice(0, i) + String.fromCharCode(c ^ 32) + s.slice(i + 1);
        break;
      }
    }
  }
  return s;
}

// ---- smuggling mutations: what any strict parser must refuse ---------------------------------

const CTL_IN_VALUE = ["\0", "\x01", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f"];
const BAD_CONTENT_LENGTH = ["+5", "-1", "0x5", "5 5", "5.0", "1e3", "", "9007199254740993", "99999999999999999999", "\xa05", "5\xa0", "\x0b5", "5,", ",5", "5, 6", "\xb95"];
const BAD_TE_REQUEST = ["gzip", "chunked, gzip", "xchunked", "chunkedx", "identity", "chunked;q=1", "chunked, chunked", "\xa0chunked", "chunked\xa0", "\x0bchunked", "chun ked", "", "chunked,", ", chunked", "chunked, ,"];

export interface Smuggle {
  label: string;
  raw: string;
}

function headWith(fields: Field[], line: string): string {
  return line + "\r\n" + fields.map(fieldLine).join("") + "\r\n";
}

function withField(rng: Rng, fields: Field[], name: string, value: string): Field[] {
  const out = [...fields];
  insertAt(rng, out, { name, value, before: " ", after: "" });
  return out;
}

function withoutFraming(fields: Field[]): Field[] {
  return fields.filter((f) => !["content-length", "transfer-encoding"].includes(f.name.toLowerCase()));
}

/**
 * One request a strict parser must refuse, made from a valid one: header syntax a lenient parser
 * might read differently (the classic request-smuggling vectors), framing that two parsers could
 * disagree on, or a broken chunked body.
 */
export function smuggleRequest(rng: Rng, r: Req): Smuggle {
  const line = `${r.method} ${r.target} HTTP/1.${r.minor}`;
  const fields = r.fields.length > 0 ? r.fields : [field(rng, "Host", "a")];
  const i = rng.int(fields.length);
  const f = fields[i]!;
  const replace = (nf: Field) => fields.map((x, k) => (k === i ? nf : x));
  const body = serializeBody(r.body);
  const plain = withoutFraming(fields);
  const cases: (() => Smuggle)[] = [
    () => ({ label: "whitespace before the colon", raw: headWith(replace({ ...f, name: f.name + rng.pick([" ", "\t", "  "]) }), line) + body }),
    () => ({ label: "obs-fold continuation line", raw: headWith(replace({ ...f, after: f.after + "\r\n" + rng.pick([" ", "\t"]) + rng.string(ALNUM, 3) }), line) + body }),
    () => {
      const head = headWith(fields, line);
      const crlfs = [...head.matchAll(/\r\n/g)].map((m) => m.index!);
      const at = rng.pick(crlfs);
      return { label: "bare LF in the head", raw: head.slice(0, at) + "\n" + head.slice(at + 2) + body };
    },
    () => {
      const k = rng.int(f.name.length + 1);
      const name = f.name.slice(0, k) + rng.pick(["\0", "\x01", "\x7f", "\xe9", " ", "(", "@", "\r"]) + f.name.slice(k);
      return { label: "invalid character in a field name", raw: headWith(replace({ ...f, name }), line) + body };
    },
    () => {
      const k = rng.int(f.value.length + 1);
      return { label: "control character in a field value", raw: headWith(replace({ ...f, value: f.value.slice(0, k) + rng.pick(CTL_IN_VALUE) + f.value.slice(k) }), line) + body };
    },
    () => ({
      label: "Content-Length and Transfer-Encoding",
      raw: headWith(withField(rng, withField(rng, plain, "Transfer-Encoding", "chunked"), "Content-Length", "5"), line) + "5\r\nhello\r\n0\r\n\r\n",
    }),
    () => ({ label: "two different Content-Length values", raw: headWith(withField(rng, withField(rng, plain, "Content-Length", "5"), "content-length", "6"), line) + "hello!" }),
    () => {
      const v = rng.pick(BAD_CONTENT_LENGTH);
      return { label: `invalid Content-Length ${JSON.stringify(v)}`, raw: headWith(withField(rng, plain, "Content-Length", v), line) + "hello" };
    },
    () => {
      const v = rng.pick(BAD_TE_REQUEST);
      return { label: `Transfer-Encoding ${JSON.stringify(v)} (not a final, lone chunked)`, raw: headWith(withField(rng, plain, "Transfer-Encoding", v), line) + "5\r\nhello\r\n0\r\n\r\n" };
    },
    () => ({
      label: "Transfer-Encoding: chunked in HTTP/1.0",
      raw: headWith(withField(rng, plain, "Transfer-Encoding", "chunked"), `${r.method} ${r.target} HTTP/1.0`) + "5\r\nhello\r\n0\r\n\r\n",
    }),
    () => {
      const v = rng.pick(["HTTP/1.2", "HTTP/2.0", "http/1.1", "HTTP/1.1 ", "HTTP/1", "HTTP/1.10", " HTTP/1.1", "HTTP/1.1\t"]);
      return { label: `bad version ${JSON.stringify(v)}`, raw: headWith(fields, `${r.method} ${r.target} ${v}`) + body };
    },
    () => {
      const l = rng.pick([`${r.method}  ${r.target} HTTP/1.1`, `${r.method}\t${r.target} HTTP/1.1`, `${r.method} ${r.target}  HTTP/1.1`, `${r.method} ${r.target}`, `${r.method} /a b HTTP/1.1`, `${r.method} /a\x01 HTTP/1.1`, `G(T ${r.target} HTTP/1.1`, ` ${r.target} HTTP/1.1`]);
      return { label: `malformed request line ${JSON.stringify(l)}`, raw: headWith(fields, l) + body };
    },
    () => ({ label: "two Host fields", raw: headWith(withField(rng, withField(rng, fields.filter((x) => x.name.toLowerCase() !== "host"), "Host", "a"), "host", rng.pick(["a", "b"])), line) + body }),
    () => ({ label: "five leading empty lines", raw: "\r\n".repeat(5) + headWith(fields, line) + body }),
    () => {
      const bad = rng.pick([
        "g\r\nhello\r\n0\r\n\r\n",
        "0x5\r\nhello\r\n0\r\n\r\n",
        "00000000000005\r\nhello\r\n0\r\n\r\n",
        "fffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        "5\r\nhelloX\r\n0\r\n\r\n",
        "5\r\nhello!\r\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello\r\n0\n\r\n",
        "5\r\nhello\r\n0\r\n\n",
        "5 x\r\nhello\r\n0\r\n\r\n",
        "5;a\x01\r\nhello\r\n0\r\n\r\n",
        "-5\r\nhello\r\n0\r\n\r\n",
        "\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\r\nX-Sum\r\n\r\n",
        "5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n",
        "5\r\nhello\r\n0\r\nX : a\r\n\r\n",
      ]);
      return { label: `broken chunked body ${JSON.stringify(bad)}`, raw: headWith(withField(rng, plain, "Transfer-Encoding", "chunked"), line) + bad };
    },
  ];
  return rng.pick(cases)();
}

/** The response counterpart: what an upstream could send to desynchronise the proxy. */
export function smuggleResponse(rng: Rng, r: Res): Smuggle {
  const line = `HTTP/1.${r.minor} ${r.status >= 200 && r.status !== 204 && r.status !== 304 ? r.status : 200} OK`;
  const fields = r.fields.length > 0 ? r.fields : [field(rng, "Server", "x")];
  const i = rng.int(fields.length);
  const f = fields[i]!;
  const replace = (nf: Field) => fields.map((x, k) => (k === i ? nf : x));
  const plain = withoutFraming(fields);
  const cases: (() => Smuggle)[] = [
    () => ({ label: "whitespace before the colon", raw: headWith(replace({ ...f, name: f.name + " " }), line) }),
    () => ({ label: "obs-fold continuation line", raw: headWith(replace({ ...f, after: "\r\n\tx" }), line) }),
    () => {
      const k = rng.int(f.value.length + 1);
      return { label: "control character in a field value", raw: headWith(replace({ ...f, value: f.value.slice(0, k) + rng.pick(CTL_IN_VALUE) + f.value.slice(k) }), line) };
    },
    () => ({ label: "Content-Length and Transfer-Encoding", raw: headWith(withField(rng, withField(rng, plain, "Transfer-Encoding", "chunked"), "Content-Length", "5"), line) + "5\r\nhello\r\n0\r\n\r\n" }),
    () => ({ label: "two different Content-Length values", raw: headWith(withField(rng, withField(rng, plain, "Content-Length", "5"), "Content-Length", "6"), line) + "hello!" }),
    () => {
      const v = rng.pick(BAD_CONTENT_LENGTH);
      return { label: `invalid Content-Length ${JSON.stringify(v)}`, raw: headWith(withField(rng, plain, "Content-Length", v), line) + "hello" };
    },
    () => {
      const v = rng.pick(["chunked,", ", chunked", "gzip,, chunked"]);
      return { label: `Transfer-Encoding ${JSON.stringify(v)} (an empty list member)`, raw: headWith(withField(rng, plain, "Transfer-Encoding", v), line) + "5\r\nhello\r\n0\r\n\r\n" };
    },
    () => ({ label: "bad status line", raw: headWith(fields, rng.pick(["HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK", "http/1.1 200 OK", "HTTP/2 200 OK", "HTTP/1.1 200 O\0K", "HTTP/1.1 200 O\rK"])) }),
    () => ({ label: "bare LF ending the head", raw: headWith(fields, line).slice(0, -2) + "\n" }),
  ];
  return rng.pick(cases)();
}
