// The token in a real browser: headless Chromium (/usr/bin/chromium, driven by playwright-core) opens
// a Host-routed URL once with ?cmux_token=; the proxy's redirect drops the parameter and sets the
// cookie, later requests pass on the cookie alone, and the upstream, which records every byte it
// receives, never sees the token while the application's own cookie reaches it unchanged.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Response } from "playwright-core";
import { parsePolicy, type Policy } from "../../src/policy";
import { completeRequests, rawUpstream, startTestProxy, type TestProxy, type UpstreamConn } from "../helpers/net";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TOKEN = "browser-token-0123456789abcdef";

/** The application: an HTML page naming the path it was asked for; sets its own cookie. */
function app() {
  const answered = new WeakMap<UpstreamConn, number>();
  return rawUpstream((c) => {
    const reqs = completeRequests(c.received);
    for (let i = answered.get(c) ?? 0; i < reqs.length; i++) {
      const path = reqs[i]!.split(" ")[1]!;
      const body = `<!doctype html><title>app</title><p id="path">${path}</p>`;
      c.socket.write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: app=v1; Path=/\r\n" +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
    }
    answered.set(c, reqs.length);
  }, undefined, "127.18.0.1");
}

let up: ReturnType<typeof app>;
let proxy: TestProxy;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  up = app();
  // Chromium runs on this machine, so it is a loopback peer: --auth-loopback makes it need the token.
  const policy = parsePolicy({ authToken: TOKEN, authLoopback: true }, {}, () => "") as Policy;
  proxy = startTestProxy({}, "127.0.0.1", { policy });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  // Chromium's first start on a fresh machine builds its caches: the launch's own 30 s, which says
  // what failed, comes before the hook's.
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  up?.stop();
});

const origin = () => `http://workspace-1-${up.port}.localhost:${proxy.port}`;

test("?cmux_token= once: redirect without it, the cookie carries later requests, the upstream never sees it", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const responses: Response[] = [];
    page.on("response", (r) => responses.push(r));

    const first = await page.goto(`${origin()}/start?x=1&cmux_token=${TOKEN}&y=2`, { timeout: 15_000 });
    expect(first?.status()).toBe(200);
    expect(page.url()).toBe(`${origin()}/start?x=1&y=2`);
    expect(await page.locator("#path").textContent()).toBe("/start?x=1&y=2");
    // allHeaders(): headers() leaves out the cookie ones.
    const redirect = responses[0]!;
    const h = await redirect.allHeaders();
    expect({ status: redirect.status(), url: redirect.url(), location: h["location"], setCookie: h["set-cookie"] }).toEqual({
      status: 302,
      url: `${origin()}/start?x=1&cmux_token=${TOKEN}&y=2`,
      location: "/start?x=1&y=2",
      setCookie: `cmux_token=${TOKEN}; HttpOnly; SameSite=Lax; Path=/`,
    });
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "cmux_token")).toMatchObject({ value: TOKEN, httpOnly: true, sameSite: "Lax", domain: `workspace-1-${up.port}.localhost` });

    // A later navigation carries only the cookie, and the app's own cookie beside it.
    const second = await page.goto(`${origin()}/second`, { timeout: 15_000 });
    expect(second?.status()).toBe(200);
    expect(await page.locator("#path").textContent()).toBe("/second");
    // Scripts cannot read it (HttpOnly).
    expect(await page.evaluate("document.cookie")).toBe("app=v1");

    const all = up.all();
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain("cmux_token");
    const secondHead = completeRequests(all).find((r) => r.startsWith("GET /second "))!;
    expect(secondHead).toContain("\r\nCookie: app=v1\r\n");
  } finally {
    await context.close();
  }
});

test("a browser without the cookie gets the 401 page; a wrong ?cmux_token= too", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const before = up.conns.length;
    const r = await page.goto(`${origin()}/private`, { timeout: 15_000 });
    expect(r?.status()).toBe(401);
    expect(await page.locator("body").textContent()).toContain("missing token");
    const wrong = await page.goto(`${origin()}/private?cmux_token=wrong-token-0123456789`, { timeout: 15_000 });
    expect(wrong?.status()).toBe(401);
    expect(await context.cookies()).toEqual([]);
    expect(up.conns.length).toBe(before);
  } finally {
    await context.close();
  }
});
