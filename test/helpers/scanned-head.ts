// The proxy's head scanner and outbound writer (src/http/head-scan.ts, src/http/outbound-head.ts)
// behind the text-in, head-out shape the parser and rewrite tables and the fuzz tests were written
// against: a head's text (without its final CRLFCRLF) in, every field out; a head as strings in,
// the exact bytes the proxy writes out. Real code, real bytes: the head is scanned from the bytes a
// peer would send, and what goes out is what the connection writes.

import type { HeadEdit } from "../../src/http/forwarded";
import { HttpError } from "../../src/http/errors";
import type { Fields, HeadLimits, HeadSpan, RequestHead, ResponseHead } from "../../src/http/head-parser";
import { HeadScan } from "../../src/http/head-scan";
import { fieldLines, requestHeadBytes, responseHeadBytes } from "../../src/http/outbound-head";

const scan = new HeadScan();

function headBytes(text: string): Buffer {
  return Buffer.from(text + "\r\n\r\n", "latin1");
}

function allFields(s: HeadScan): Fields {
  const names: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < s.count; i++) {
    names.push(s.name(i));
    values.push(s.value(i));
  }
  return { names, lower: names.map((n) => n.toLowerCase()), values };
}

/** The request head findHeadEnd delimited at `span` of `buf`, as the connection scans it. */
export function scanRequestHead(buf: Uint8Array, span: HeadSpan, limits: HeadLimits): RequestHead | HttpError {
  const err = scan.scanRequest(buf, span, limits);
  if (err !== null) return err;
  return { method: scan.method(), target: scan.target(), minor: scan.minor, ...allFields(scan) };
}

export function scanResponseHead(buf: Uint8Array, span: HeadSpan, limits: HeadLimits): ResponseHead | HttpError {
  const err = scan.scanResponse(buf, span, limits);
  if (err !== null) return err;
  return { status: scan.status, reason: scan.reason(), minor: scan.minor, ...allFields(scan) };
}

/** A head's text without its final CRLFCRLF (what the string parser took). */
export function parseRequestHead(text: string, limits: HeadLimits): RequestHead | HttpError {
  const buf = headBytes(text);
  return scanRequestHead(buf, { start: 0, end: buf.length }, limits);
}

export function parseResponseHead(text: string, limits: HeadLimits): ResponseHead | HttpError {
  const buf = headBytes(text);
  return scanResponseHead(buf, { start: 0, end: buf.length }, limits);
}

const LIMITS: HeadLimits = { maxHeadBytes: 1 << 20, maxHeaders: 1 << 12 };

/** Scans the bytes a peer would send for `text` + fields; throws if the scanner refuses them. */
function scanned(startLine: string, f: Fields, side: "request" | "response"): HeadScan {
  const lines = fieldLines(f.names.map((n, i) => `${n}: ${f.values[i]}`)).toString("latin1");
  const buf = Buffer.from(startLine + "\r\n" + lines + "\r\n", "latin1");
  const err = side === "request" ? scan.scanRequest(buf, { start: 0, end: buf.length }, LIMITS) : scan.scanResponse(buf, { start: 0, end: buf.length }, LIMITS);
  if (err !== null) throw new Error(`the scanner refused the table's head: ${err.status} ${err.reason}`);
  return scan;
}

export interface RequestRewrite {
  upgrade: boolean;
  connection: readonly string[];
  edit?: HeadEdit;
  host?: string | null;
}

/** The request head as the connection writes it upstream (latin1). */
export function serializeRequestHead(head: RequestHead, opts: RequestRewrite): string {
  const s = scanned(`${head.method} ${head.target} HTTP/1.${head.minor}`, head, "request");
  const out = requestHeadBytes(s, { upgrade: opts.upgrade, connection: opts.connection, drop: opts.edit?.drop, append: opts.edit?.append, host: opts.host }, null);
  return out.toString("latin1");
}

export interface ResponseRewrite {
  keepAlive: boolean;
  clientMinor: 0 | 1;
  connection: readonly string[];
}

/** The response head as the connection writes it to the client (latin1). */
export function serializeResponseHead(head: ResponseHead, opts: ResponseRewrite): string {
  const status = String(head.status).padStart(3, "0");
  const s = scanned(`HTTP/1.${head.minor} ${status}${head.reason === "" ? "" : " " + head.reason}`, head, "response");
  return responseHeadBytes(s, opts, null).toString("latin1");
}
