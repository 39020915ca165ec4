// A real browser through the proxy: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) opens a workspace's page by Host routing; the page opens a WebSocket back to its
// own origin and writes the echo into the DOM, which is read here. Saves a screenshot.
//
//   bun scripts/e2e/browser.ts <url> <expected workspace> <screenshot.png>

import { chromium } from "playwright-core";

const [url, workspace, screenshot] = process.argv.slice(2);
if (!url || !workspace || !screenshot) {
  console.error("usage: browser.ts <url> <expected workspace> <screenshot.png>");
  process.exit(2);
}

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const message = `hello from chromium ${crypto.randomUUID()}`;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
const version = browser.version();
let failure = "";
try {
  const page = await browser.newPage();
  const consoleLines: string[] = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  const target = `${url}?msg=${encodeURIComponent(message)}`;
  const response = await page.goto(target, { timeout: 15_000 });
  if (response?.status() !== 200) {
    failure = `GET ${target} answered ${response?.status() ?? "nothing"}`;
  } else {
    try {
      await page.locator("#status", { hasText: "echoed" }).waitFor({ timeout: 10_000 });
    } catch {
      failure = `no WebSocket echo in the page (status: "${await page.locator("#status").textContent()}")`;
    }
    const echo = await page.locator("#echo").textContent();
    const served = await page.locator("#workspace").textContent();
    await page.screenshot({ path: screenshot });
    if (!failure && served !== workspace) failure = `page served from "${served}", expected "${workspace}"`;
    if (!failure && echo !== message) failure = `echo in the DOM is "${echo}", expected "${message}"`;
    if (failure && consoleLines.length > 0) failure += `\nbrowser console:\n  ${consoleLines.join("\n  ")}`;
  }
} finally {
  await browser.close();
}

if (failure) {
  console.error(failure);
  process.exit(1);
}
console.log(`page from ${workspace}, WebSocket echo read from the DOM (chromium ${version}), screenshot ${screenshot}`);
