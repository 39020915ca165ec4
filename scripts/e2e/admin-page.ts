// The admin page in a real browser: headless Chromium (Debian's, driven by playwright-core) opens
// http://cmux.localhost:<proxy port>/, finds the workspace's server in the listing, sees a server
// started after the page loaded appear without a reload (and go when it stops), saves a screenshot,
// then follows the workspace server's link and reads what that server serves.
//
//   bun scripts/e2e/admin-page.ts <admin url> <workspace> <port> <expected body> <screenshot.png>

import type { TCPSocketListener } from "bun";
import { chromium } from "playwright-core";

const [adminUrl, workspace, portText, expected, screenshot] = process.argv.slice(2);
if (!adminUrl || !workspace || !portText || expected === undefined || !screenshot) {
  console.error("usage: admin-page.ts <admin url> <workspace> <port> <expected body> <screenshot.png>");
  process.exit(2);
}

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
const version = browser.version();
let failure = "";
let late: TCPSocketListener<undefined> | null = null;
try {
  const page = await browser.newPage();
  const consoleLines: string[] = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  const response = await page.goto(adminUrl, { timeout: 15_000 });
  const row = page.locator(`section[data-name="${workspace}"] tr[data-port="${portText}"]`);
  if (response?.status() !== 200) failure = `GET ${adminUrl} answered ${response?.status() ?? "nothing"}`;
  else if ((await row.count()) !== 1) failure = `no row for ${workspace} port ${portText} on the page`;

  if (!failure) {
    // A server that starts after the page loaded shows up without a reload, and goes when it stops.
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    late = server;
    const lateRow = page.locator(`section[data-kind="default"] tr[data-port="${server.port}"]`);
    try {
      await lateRow.waitFor({ state: "attached", timeout: 10_000 });
    } catch {
      failure = `a server started on 127.0.0.1:${server.port} after the page loaded did not appear within 10 s`;
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    server.stop(true);
    late = null;
    if (!failure) {
      try {
        await lateRow.waitFor({ state: "detached", timeout: 10_000 });
      } catch {
        failure = "the stopped server was still listed after 10 s";
      }
    }
  }

  if (!failure) {
    const link = row.locator("a");
    const href = await link.getAttribute("href");
    await link.click({ timeout: 10_000 });
    await page.waitForLoadState("load", { timeout: 10_000 });
    const body = (await page.locator("body").textContent())?.trim();
    if (page.url() !== href) failure = `the link ${href} led to ${page.url()}`;
    else if (body !== expected) failure = `${href} served "${body}", expected "${expected}"`;
  }
  if (failure && consoleLines.length > 0) failure += `\nbrowser console:\n  ${consoleLines.join("\n  ")}`;
} finally {
  late?.stop(true);
  await browser.close();
}

if (failure) {
  console.error(failure);
  process.exit(1);
}
console.log(`admin page lists ${workspace}:${portText}, followed its link to "${expected}", live refresh seen (chromium ${version}), screenshot ${screenshot}`);
