// Node's own HTTP/1.1 parser (llhttp, strict mode: what `node:http` servers and clients use) as a
// second opinion for the property tests. Reads a JSON array of messages on stdin, writes a JSON array
// of what llhttp made of each: the messages it completed, the error if it refused.
//
// Each case: { type: "request" | "response", base64, toHead }. `toHead` marks a response to HEAD,
// which has no body whatever its head says (Node tells llhttp so the same way).
"use strict";

// `allMethods` is indexed by llhttp's method number (`methods` is not: llhttp's numbering has gaps,
// and older Node versions only have `methods`).
const binding = process.binding("http_parser");
const { HTTPParser } = binding;
const allMethods = binding.allMethods ?? binding.methods;

const MAX_HEAD = 1 << 20;

function parse(c) {
  const parser = new HTTPParser();
  parser.initialize(c.type === "request" ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, MAX_HEAD, 0);
  const messages = [];
  let begun = 0;
  let headers = [];
  let url = "";
  let current = null;
  parser[HTTPParser.kOnMessageBegin] = () => {
    begun++;
    headers = [];
    url = "";
  };
  // Heads with many fields arrive in parts: kOnHeaders first, then kOnHeadersComplete without them.
  parser[HTTPParser.kOnHeaders] = (h, u) => {
    headers.push(...h);
    url += u;
  };
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, h, method, u, status, reason, upgrade) => {
    current = {
      method: method === undefined ? null : allMethods[method],
      url: u === undefined ? url : url + u,
      version: `HTTP/${major}.${minor}`,
      status: status ?? null,
      reason: reason ?? null,
      headers: h === undefined ? headers : [...headers, ...h],
      upgrade: Boolean(upgrade),
      body: 0,
      complete: false,
    };
    messages.push(current);
    return c.toHead ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = (b) => {
    current.body += b.length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    current.complete = true;
  };
  let error = null;
  const r = parser.execute(Buffer.from(c.base64, "base64"));
  if (r instanceof Error) error = `${r.code}: ${r.reason}`;
  else if (c.type === "response" && messages.length > 0 && !messages[messages.length - 1].complete) {
    // A body delimited by the connection closing ends here.
    const f = parser.finish();
    if (f instanceof Error) error = `${f.code}: ${f.reason}`;
  }
  parser.close();
  return { error, begun, messages };
}

const chunks = [];
process.stdin.on("data", (d) => chunks.push(d));
process.stdin.on("end", () => {
  const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify(cases.map(parse)));
});
