// Error pages for browsers (README "Errors the proxy answers itself"): who gets HTML, what the page
// holds, and the request forms it suggests.

import { describe, expect, test } from "bun:test";
import { errorPageHtml, prefersHtml, urlForms, type FormsInput } from "../../src/http/error-page";
import { errorLine, errorResponse, HttpError } from "../../src/http/errors";

const CHROMIUM = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("prefersHtml: only when text/html ranks above text/plain", () => {
  test.each([
    ["Chromium navigation", [CHROMIUM], true],
    ["Firefox navigation", [FIREFOX], true],
    ["Safari navigation", ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"], true],
    ["curl", ["*/*"], false],
    ["no Accept", [], false],
    ["fetch() default", ["*/*"], false],
    ["an API client", ["application/json"], false],
    ["plain text asked for", ["text/plain"], false],
    ["equal preference keeps plain", ["text/plain, text/html"], false],
    ["html below plain", ["text/html;q=0.5, text/plain"], false],
    ["html refused", ["text/html;q=0, */*"], false],
    ["text/* is html's range too, plain named lower", ["text/*, text/plain;q=0.1"], true],
    ["case and spaces", [" TEXT/HTML ; Q=1 , */* ; q=0.1"], true],
    ["split over two fields", ["application/json", "text/html"], true],
    ["garbage is no preference", ["nonsense"], false],
  ] as [string, string[], boolean][])("%s", (_name, accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});

describe("urlForms: the Host form and the header form", () => {
  const base: FormsInput = { authority: "localhost:8080", path: "/", suffix: "localhost", port: null, workspace: null };
  test.each([
    [
      "nothing named: placeholders",
      {},
      ["http://<workspace>-<port>.localhost:8080/", "curl -H 'X-Cmux-Port-Internal: <port>' http://localhost:8080/"],
    ],
    [
      "port only",
      { port: 5173, path: "/app?x=1" },
      ["http://<workspace>-5173.localhost:8080/app?x=1", "curl -H 'X-Cmux-Port-Internal: 5173' http://localhost:8080/app?x=1"],
    ],
    [
      "workspace and port, reached by a route Host",
      { authority: "workspace-a-5173.localhost:8080", port: 5173, workspace: "workspace-a" },
      [
        "http://workspace-a-5173.localhost:8080/",
        "curl -H 'X-Cmux-Port-Internal: 5173' -H 'X-Cmux-Workspace-Internal: workspace-a' http://localhost:8080/",
      ],
    ],
    ["a Host without a port", { authority: "127.0.0.1", port: 3000 }, ["http://<workspace>-3000.localhost/", "curl -H 'X-Cmux-Port-Internal: 3000' http://127.0.0.1/"]],
    ["an IPv6 Host", { authority: "[::1]:8080", port: 3000 }, ["http://<workspace>-3000.localhost:8080/", "curl -H 'X-Cmux-Port-Internal: 3000' http://[::1]:8080/"]],
    [
      "another suffix",
      { authority: "w-5173.dev.test", suffix: "dev.test", port: 5173, workspace: "w" },
      ["http://w-5173.dev.test/", "curl -H 'X-Cmux-Port-Internal: 5173' -H 'X-Cmux-Workspace-Internal: w' http://localhost/"],
    ],
    ["no Host at all", { authority: "" }, ["http://<workspace>-<port>.localhost/", "curl -H 'X-Cmux-Port-Internal: <port>' http://localhost/"]],
  ] as [string, Partial<FormsInput>, string[]][])("%s", (_name, input, expected) => {
    expect(urlForms({ ...base, ...input })).toEqual(expected);
  });
});

describe("errorPageHtml", () => {
  const page = errorPageHtml({
    status: 502,
    statusText: "Bad Gateway",
    reason: "upstream 127.18.0.1:5173 refused the connection",
    notes: ["127.0.0.1:5173 has a listener: a server started without the shim? <script>"],
    tries: ["curl -H 'X-Cmux-Port-Internal: 5173' http://localhost:8080/"],
  });

  test("holds the status, the reason, the notes and the forms, escaped", () => {
    expect(page).toContain("<title>502 Bad Gateway · cmux-proxy</title>");
    expect(page).toContain("<h1>upstream 127.18.0.1:5173 refused the connection</h1>");
    expect(page).toContain("<li>127.0.0.1:5173 has a listener: a server started without the shim? &#60;script&#62;</li>");
    expect(page).toContain("<code>curl -H &#39;X-Cmux-Port-Internal: 5173&#39; http://localhost:8080/</code>");
    expect(page).not.toContain("<script>");
  });

  test("self-contained: no script, no external asset, no link", () => {
    expect(page).not.toMatch(/<script|<link|src=|href=|url\(|@import/i);
    expect(page.startsWith("<!doctype html>\n")).toBe(true);
  });
});

describe("errorResponse: the plain line, or the page when the client prefers HTML", () => {
  test.each([
    [new HttpError(502, "upstream x refused the connection"), "upstream x refused the connection"],
    [new HttpError(502, "upstream x refused the connection", ["a listens", "b listens"]), "upstream x refused the connection; a listens; b listens"],
  ] as [HttpError, string][])("errorLine %#", (err, expected) => {
    expect(errorLine(err)).toBe(expected);
  });

  test.each([400, 502, 504, 508])("%p: a page for a browser, with Content-Length in bytes", (status) => {
    const text = Buffer.from(errorResponse(new HttpError(status, "café reason", ["a note"]), { tries: ["x"] })).toString("utf8");
    const [head, body] = text.split("\r\n\r\n") as [string, string];
    expect(head.split("\r\n")).toContain("Content-Type: text/html; charset=utf-8");
    expect(head.split("\r\n")).toContain("Connection: close");
    expect(head.split("\r\n")).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(body).toContain("<h1>café reason</h1>");
    expect(body).toContain("<li>a note</li>");
  });

  test.each([408, 431, 501, 505])("%p stays plain even for a browser", (status) => {
    const text = Buffer.from(errorResponse(new HttpError(status, "r"), { tries: [] })).toString("utf8");
    expect(text).toContain("Content-Type: text/plain; charset=utf-8");
    expect(text.endsWith("\r\n\r\nr\n")).toBe(true);
  });

  test("without the choice, the notes go on the plain line", () => {
    const text = Buffer.from(errorResponse(new HttpError(502, "r", ["n"]))).toString("utf8");
    expect(text.endsWith("\r\n\r\nr; n\n")).toBe(true);
  });
});
