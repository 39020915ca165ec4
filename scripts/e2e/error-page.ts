// A browser meets a 502 the proxy diagnoses: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) opens a workspace URL whose server was started without the shim, reads the
// proxy's HTML error page from the DOM (status, reason, the diagnosis, the request forms) and saves
// a screenshot.
//
//   bun scripts/e2e/error-page.ts <url> <expected diagnosis text> <screenshot.png>

import { chromium } from "playwright-core";

const [url, expected, screenshot] = process.argv.slice(2);
if (!url || !expected || !screenshot) {
  console.error("usage: error-page.ts <url> <expected diagnosis text> <screenshot.png>");
  process.exit(2);
}

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS, timeout: 30_000 });
let failure = "";
let summary = "";
try {
  // JavaScript off: the page must be readable without any script.
  const page = await browser.newPage({ javaScriptEnabled: false });
  const response = await page.goto(url, { timeout: 15_000 });
  const status = response?.status();
  const type = (await response?.headerValue("content-type")) ?? "";
  const heading = (await page.locator("h1").textContent()) ?? "";
  const notes = await page.locator("ul.notes li").allTextContents();
  const tries = await page.locator("ul.tries code").allTextContents();
  await page.screenshot({ path: screenshot, fullPage: true });
  if (status !== 502) failure = `GET ${url} answered ${status ?? "nothing"}, expected 502`;
  else if (!type.startsWith("text/html")) failure = `the 502 came as "${type}", not text/html`;
  else if (!heading.includes("refused the connection")) failure = `the page's heading is "${heading}"`;
  else if (!notes.some((n) => n.includes(expected))) failure = `no diagnosis "${expected}" on the page; notes: ${JSON.stringify(notes)}`;
  else if (tries.length === 0) failure = "the page suggests no request forms";
  summary = `502 page: "${heading}"; ${notes.find((n) => n.includes(expected))}; ${tries.length} request forms; screenshot ${screenshot}`;
} finally {
  await browser.close();
}

if (failure) {
  console.error(failure);
  process.exit(1);
}
console.log(summary);
