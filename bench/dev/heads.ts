// Heads as a browser and a dev server send them: a Chromium module request (15 fields, about 700
// bytes with its cookie, routed by X-Cmux-Port-Internal as an ingress forwards it) and Vite's
// answer for a module (10 fields). Shared by the page-load client, its upstream, bench/alloc.ts and
// bench/exchange.ts.

const COOKIE =
  "_ga=GA1.1.1690349123.1733011200; theme=dark; session=eyJ1c2VyIjoiZGV2IiwiZXhwIjoxNzMzMDk3NjAwfQ.Zm9vYmFy; " +
  "csrftoken=Ax9kP2mQ7rT4vW8yB3nD6fH1jL5";

/** The Chromium request for module `path` through a proxy routing to `port`. */
export function browserRequest(path: string, port: number): string {
  return (
    `GET ${path} HTTP/1.1\r\n` +
    `Host: localhost:5173\r\n` +
    `Connection: keep-alive\r\n` +
    `X-Cmux-Port-Internal: ${port}\r\n` +
    `sec-ch-ua-platform: "Linux"\r\n` +
    `User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n` +
    `sec-ch-ua: "Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"\r\n` +
    `sec-ch-ua-mobile: ?0\r\n` +
    `Accept: */*\r\n` +
    `Sec-Fetch-Site: same-origin\r\n` +
    `Sec-Fetch-Mode: cors\r\n` +
    `Sec-Fetch-Dest: script\r\n` +
    `Referer: http://localhost:5173/src/main.tsx\r\n` +
    `Accept-Encoding: gzip, deflate, br, zstd\r\n` +
    `Accept-Language: en-US,en;q=0.9\r\n` +
    `Cookie: ${COOKIE}\r\n` +
    `\r\n`
  );
}

/** The module path of module `i` of a page (`/src/components/m<i>.tsx`, with Vite's cache-busting query). */
export function modulePath(i: number): string {
  return `/src/components/m${i}.tsx?t=1733011200000`;
}

/** The body of module `i`: a few hundred bytes of JavaScript. */
export function moduleBody(i: number): string {
  return (
    `import { jsx } from "/node_modules/.vite/deps/react_jsx-dev-runtime.js?v=4f1a2b3c";\n` +
    `import { useState } from "/node_modules/.vite/deps/react.js?v=4f1a2b3c";\n` +
    `export default function M${i}(props) {\n  const [n, setN] = useState(${i});\n` +
    `  return jsx("button", { onClick: () => setN(n + 1), children: [props.label, " ", n] });\n}\n`
  );
}

/** Vite's response head for a module body of `length` bytes. */
export function viteResponseHead(length: number, etag: string): string {
  return (
    `HTTP/1.1 200 OK\r\n` +
    `Access-Control-Allow-Origin: http://localhost:5173\r\n` +
    `Vary: Origin\r\n` +
    `Content-Type: text/javascript\r\n` +
    `Cache-Control: no-cache\r\n` +
    `Etag: W/"${etag}"\r\n` +
    `Date: Tue, 01 Dec 2026 22:00:00 GMT\r\n` +
    `Connection: keep-alive\r\n` +
    `Keep-Alive: timeout=5\r\n` +
    `X-Content-Type-Options: nosniff\r\n` +
    `Content-Length: ${length}\r\n` +
    `\r\n`
  );
}

/** A request head and its whole response (head and body), as the per-exchange tools replay them. */
export type Exchange = { name: string; request: Buffer; response: Buffer };

/** wrk's small GET against nginx's answer, and the browser's module request against Vite's. */
export const EXCHANGES: readonly Exchange[] = [
  {
    name: "wrk GET / (2 request fields, nginx's 5 response fields)",
    request: Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-Cmux-Port-Internal: 3000\r\n\r\n", "latin1"),
    response: Buffer.from(
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 22:00:00 GMT\r\nContent-Type: text/plain\r\n" +
        "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
      "latin1",
    ),
  },
  {
    name: "browser module (Chromium's 16 request fields, Vite's 10 response fields)",
    request: Buffer.from(browserRequest(modulePath(7), 3000), "latin1"),
    response: Buffer.from(viteResponseHead(moduleBody(7).length, "1c4-q2Vb0Xh3") + moduleBody(7), "latin1"),
  },
];
