// A second, deliberately plain reading of RFC 9112 for the property tests: whole-input, regex and
// indexOf based, sharing no code with src/http. It decides what a strict parser must do with a
// message: accept it (with its head and where it ends), refuse it, or wait for more bytes. The
// proxy's parsers must reach the same verdict on every input.
//
// Where the RFC leaves a choice, this follows the project's documented rules (DESIGN.md, the
// checklist and test/http tables): at most 4 leading empty lines; a request target is any run of
// visible bytes; HTTP/1.0 requests may not be chunked; repeated identical Content-Length values are
// one value; Transfer-Encoding has no empty list members; chunk sizes have at most 13 hex digits.

export interface RefLimits {
  maxHeadBytes: number;
  maxHeaders: number;
}

export type Verdict<T> = { kind: "need" } | { kind: "reject"; why: string } | ({ kind: "ok" } & T);

export interface RefHead {
  /** Offset just past the head's empty line. */
  headEnd: number;
  startLine: string[];
  fields: [string, string][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// field-value bytes: anything but controls, HTAB allowed [RFC 9110 §5.5].
const VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

function reject(why: string): { kind: "reject"; why: string } {
  return { kind: "reject", why };
}

/** Where the head is and whether its lines are well formed, before any field is interpreted. */
function locateHead(s: string, limits: RefLimits): Verdict<{ start: number; end: number }> {
  let start = 0;
  while (s.startsWith("\r\n", start)) {
    start += 2;
    if (start / 2 > 4) return reject("more than 4 leading empty lines");
  }
  const blank = s.indexOf("\r\n\r\n", start);
  const end = blank === -1 ? s.length : blank + 4;
  for (let lf = s.indexOf("\n", start); lf !== -1 && lf < end; lf = s.indexOf("\n", lf + 1)) {
    if (lf === start || s[lf - 1] !== "\r") return reject("bare LF");
  }
  if (end - start > limits.maxHeadBytes) return reject("head too large");
  if (blank === -1) return { kind: "need" };
  return { kind: "ok", start, end };
}

function parseFields(lines: string[], limits: RefLimits): [string, string][] | string {
  if (lines.length > limits.maxHeaders) return "too many fields";
  const out: [string, string][] = [];
  for (const line of lines) {
    const m = /^([^:]*):(.*)$/s.exec(line);
    if (m === null) return "field line without a colon";
    if (!TOKEN.test(m[1]!)) return "field name is not a token";
    if (!VALUE.test(m[2]!)) return "control character in a field value";
    out.push([m[1]!, m[2]!.replace(OWS_EDGES, "")]);
  }
  return out;
}

export function refRequestHead(s: string, limits: RefLimits): Verdict<RefHead> {
  const at = locateHead(s, limits);
  if (at.kind !== "ok") return at;
  const lines = s.slice(at.start, at.end - 4).split("\r\n");
  const m = /^([^ ]*) ([^ ]*) ([^ ]*)$/.exec(lines[0]!);
  if (m === null) return reject("request line is not three parts separated by single spaces");
  const [, method, target, version] = m as unknown as [string, string, string, string];
  if (!TOKEN.test(method)) return reject("method is not a token");
  if (!/^[\x21-\x7e\x80-\xff]+$/.test(target)) return reject("request target is empty or has a space or control");
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") return reject("version is not HTTP/1.1 or HTTP/1.0");
  const fields = parseFields(lines.slice(1), limits);
  if (typeof fields === "string") return reject(fields);
  if (fields.filter(([n]) => n.toLowerCase() === "host").length > 1) return reject("more than one Host");
  return { kind: "ok", headEnd: at.end, startLine: [method, target, version], fields };
}

export function refResponseHead(s: string, limits: RefLimits): Verdict<RefHead> {
  const at = locateHead(s, limits);
  if (at.kind !== "ok") return at;
  const lines = s.slice(at.start, at.end - 4).split("\r\n");
  const m = /^(HTTP\/1\.[01]) ([0-9]{3})(?: (.*))?$/s.exec(lines[0]!);
  if (m === null || !VALUE.test(lines[0]!)) return reject("malformed status line");
  const fields = parseFields(lines.slice(1), limits);
  if (typeof fields === "string") return reject(fields);
  return { kind: "ok", headEnd: at.end, startLine: [m[1]!, m[2]!, m[3] ?? ""], fields };
}

// ---- framing ----------------------------------------------------------------------------------

export type RefFraming = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" } | { kind: "close" };

function values(fields: [string, string][], lower: string): string[] {
  return fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Content-Length [RFC 9110 §8.6]: digits only; a list of one repeated value is that value. */
function contentLength(vs: string[]): number | null {
  const members = vs.flatMap((v) => v.split(",").map((p) => p.replace(OWS_EDGES, "")));
  if (!members.every((p) => /^[0-9]{1,16}$/.test(p))) return null;
  const n = Number(members[0]);
  if (n > Number.MAX_SAFE_INTEGER || members.some((p) => Number(p) !== n)) return null;
  return n;
}

/** Transfer codings, or null when the list has an empty member (`chunked,`): a strict parser (llhttp)
 * refuses those, a lenient one may read past them, so the proxy refuses them too. */
function codings(vs: string[]): string[] | null {
  const c = vs.flatMap((v) => v.split(",")).map((m) => m.replace(OWS_EDGES, "").toLowerCase());
  return c.includes("") ? null : c;
}

export function refRequestFraming(head: RefHead): RefFraming | string {
  const te = values(head.fields, "transfer-encoding");
  const cl = values(head.fields, "content-length");
  if (te.length > 0) {
    if (cl.length > 0) return "both Content-Length and Transfer-Encoding";
    if (head.startLine[2] === "HTTP/1.0") return "Transfer-Encoding in HTTP/1.0";
    const c = codings(te);
    return c !== null && c.length === 1 && c[0] === "chunked" ? { kind: "chunked" } : "Transfer-Encoding is not a lone chunked";
  }
  if (cl.length === 0) return { kind: "none" };
  const n = contentLength(cl);
  if (n === null) return "invalid Content-Length";
  return n === 0 ? { kind: "none" } : { kind: "length", length: n };
}

export function refResponseFraming(head: RefHead, toHead: boolean): RefFraming | string {
  const status = Number(head.startLine[1]);
  // Codes outside 100-599 are invalid but read as a 5xx would be [RFC 9110 §15]: with a body.
  if (toHead || (status >= 100 && status < 200) || status === 204 || status === 304) return { kind: "none" };
  const te = values(head.fields, "transfer-encoding");
  const cl = values(head.fields, "content-length");
  if (te.length > 0) {
    if (cl.length > 0) return "both Content-Length and Transfer-Encoding";
    const c = codings(te);
    if (c === null) return "empty member in Transfer-Encoding";
    return c.at(-1) === "chunked" ? { kind: "chunked" } : { kind: "close" };
  }
  if (cl.length === 0) return { kind: "close" };
  const n = contentLength(cl);
  if (n === null) return "invalid Content-Length";
  return n === 0 ? { kind: "none" } : { kind: "length", length: n };
}

// ---- chunked bodies [RFC 9112 §7.1] ------------------------------------------------------------

// chunk-size [ chunk-ext ] CRLF, extensions read loosely (any non-control bytes after `;`); the
// whitespace chunk-ext allows (BWS) comes only before its `;`.
const SIZE_LINE = /^([0-9A-Fa-f]{1,13})(?:[ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*)?$/;
// What a size line may look like before its CR has arrived.
const SIZE_LINE_PREFIX = /^(?:[0-9A-Fa-f]{1,13}(?:[ \t]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?)?)?$/;
const TRAILER_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*$/;
const TRAILER_PREFIX = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?::[^\x00-\x08\x0a-\x1f\x7f]*)?)?$/;

/** A chunked body starting at `from`: where it ends and its payload length. */
export function refChunked(s: string, from: number): Verdict<{ end: number; payload: number }> {
  let p = from;
  let payload = 0;
  for (;;) {
    const cr = s.indexOf("\r", p);
    if (cr === -1) return SIZE_LINE_PREFIX.test(s.slice(p)) ? { kind: "need" } : reject("bad chunk size line");
    const m = SIZE_LINE.exec(s.slice(p, cr));
    if (m === null) return reject("bad chunk size line");
    if (cr + 1 === s.length) return { kind: "need" };
    if (s[cr + 1] !== "\n") return reject("chunk size line not ended by CRLF");
    p = cr + 2;
    const size = parseInt(m[1]!, 16);
    if (size === 0) break;
    if (p + size + 2 > s.length) {
      // Waiting for data, or for its CRLF: whatever of the CRLF is there must be right.
      const tail = s.slice(p + size, s.length);
      return "\r\n".startsWith(tail) ? { kind: "need" } : reject("chunk data not followed by CRLF");
    }
    if (s.slice(p + size, p + size + 2) !== "\r\n") return reject("chunk data not followed by CRLF");
    payload += size;
    p += size + 2;
  }
  for (;;) {
    if (p === s.length) return { kind: "need" };
    if (s[p] === "\r") {
      if (p + 1 === s.length) return { kind: "need" };
      return s[p + 1] === "\n" ? { kind: "ok", end: p + 2, payload } : reject("chunked body not ended by CRLF");
    }
    const cr = s.indexOf("\r", p);
    if (cr === -1) return TRAILER_PREFIX.test(s.slice(p)) ? { kind: "need" } : reject("bad trailer line");
    if (!TRAILER_LINE.test(s.slice(p, cr))) return reject("bad trailer line");
    if (cr + 1 === s.length) return { kind: "need" };
    if (s[cr + 1] !== "\n") return reject("trailer line not ended by CRLF");
    p = cr + 2;
  }
}

// ---- whole messages ---------------------------------------------------------------------------

export interface RefMessage {
  head: RefHead;
  framing: RefFraming;
  /** Offset just past the message; for a close-delimited body, the end of the input. */
  end: number;
  payload: number;
}

function body(s: string, head: RefHead, framing: RefFraming): Verdict<RefMessage> {
  const from = head.headEnd;
  switch (framing.kind) {
    case "none":
      return { kind: "ok", head, framing, end: from, payload: 0 };
    case "close":
      return { kind: "ok", head, framing, end: s.length, payload: s.length - from };
    case "length":
      if (s.length - from < framing.length) return { kind: "need" };
      return { kind: "ok", head, framing, end: from + framing.length, payload: framing.length };
    case "chunked": {
      const c = refChunked(s, from);
      if (c.kind !== "ok") return c;
      return { kind: "ok", head, framing, end: c.end, payload: c.payload };
    }
  }
}

export function refRequest(s: string, limits: RefLimits): Verdict<RefMessage> {
  const head = refRequestHead(s, limits);
  if (head.kind !== "ok") return head;
  const framing = refRequestFraming(head);
  if (typeof framing === "string") return reject(framing);
  return body(s, head, framing);
}

export function refResponse(s: string, limits: RefLimits, toHead: boolean): Verdict<RefMessage> {
  const head = refResponseHead(s, limits);
  if (head.kind !== "ok") return head;
  const framing = refResponseFraming(head, toHead);
  if (typeof framing === "string") return reject(framing);
  return body(s, head, framing);
}
