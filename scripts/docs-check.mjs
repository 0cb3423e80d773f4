// Drives headless Chromium to a Hookflow /docs page and checks that Redoc
// rendered the API with nothing loaded from another origin. Run by
// scripts/docs-check.sh, which installs puppeteer-core and Chromium.
// Usage: node docs-check.mjs <docs url> <screenshot path> <chromium path>
import puppeteer from "puppeteer-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [docsURL, screenshot, chromium] = process.argv.slice(2);
// Text the rendered overview must show: the title and operation paths of every surface.
const expected = [
  "Hookflow API",
  "/api/v2/public/webhooks/facility",
  "/api/v2/public/webhooks/user/{webhookId}",
  "/api/v2/public/webhooks/logs",
  "/api/v2/public/webhooks/logs/{logId}/retry",
  "/api/v2/events",
  "/healthcheck",
  "/openapi.json",
];

// Operation pages (Redoc routes by hash) and text each must show: summaries,
// parameters and body fields, so schemas and $refs resolved.
const operations = {
  "#/webhooks/createfacilitywebhook": ["Create Webhook for Facilities", "facilities", "secrets"],
  "#/logs/searchwebhooklogs": ["Search webhook notification logs", "facilitiesIds", "sortDirection"],
  "#/events/publishevent": ["Publish an event", "eventType"],
};

const profile = mkdtempSync(join(tmpdir(), "hookflow-docs-check-"));
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  userDataDir: profile,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
  ],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 1000 });
  const origin = new URL(docsURL).origin;
  const foreign = [];
  const consoleErrors = [];
  const failedForeign = [];
  const cspReports = [];
  const isForeign = (url) => !url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:");
  page.on("requestfinished", (req) => { if (isForeign(req.url())) foreign.push(req.url()); });
  page.on("requestfailed", (req) => {
    if (isForeign(req.url())) failedForeign.push(req.url());
    else consoleErrors.push(`${req.url()} failed: ${req.failure()?.errorText}`);
  });
  page.on("response", (resp) => { if (resp.status() >= 400) consoleErrors.push(`${resp.url()} answered ${resp.status()}`); });
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (msg.text().includes("Content Security Policy")) cspReports.push(msg.text());
    else consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));

  const resp = await page.goto(docsURL, { waitUntil: "networkidle0", timeout: 60000 });
  if (!resp || resp.status() !== 200) throw new Error(`GET ${docsURL} answered ${resp && resp.status()}`);
  // Redoc renders asynchronously once it has fetched and parsed the document.
  await page.waitForFunction(
    (texts) => texts.every((t) => document.body.innerText.includes(t)),
    { timeout: 60000, polling: 250 },
    expected,
  ).catch(async () => {
    const text = await page.evaluate(() => document.body.innerText);
    const missing = expected.filter((t) => !text.includes(t));
    throw new Error(`the rendered page lacks ${JSON.stringify(missing)}; it shows:\n${text.slice(0, 1500)}`);
  });
  await page.screenshot({ path: screenshot });
  console.log(`docs-check: ${docsURL} renders ${expected.length} expected texts; screenshot in ${screenshot}`);
  for (const [hash, texts] of Object.entries(operations)) {
    await page.goto(docsURL + hash, { waitUntil: "networkidle0", timeout: 60000 });
    await page.waitForFunction(
      (texts) => texts.every((t) => document.body.innerText.includes(t)),
      { timeout: 30000, polling: 250 },
      texts,
    ).catch(() => { throw new Error(`${docsURL}${hash} lacks one of ${JSON.stringify(texts)}`); });
  }
  console.log(`docs-check: ${Object.keys(operations).length} operation pages render their fields`);
  // The page's CSP stops Redoc's attribution logo (cdn.redoc.ly) in the
  // browser, before any network access; anything else foreign is a failure.
  for (const url of failedForeign) {
    if (cspReports.some((r) => r.includes(url))) console.log(`docs-check: the page's CSP kept the browser from loading ${url}`);
    else foreign.push(`${url} (attempted)`);
  }
  if (foreign.length > 0) {
    failed = true;
    console.error(`docs-check: the page loaded from other origins:\n  ${foreign.join("\n  ")}`);
  }
  if (consoleErrors.length > 0) {
    failed = true;
    console.error(`docs-check: errors in the page:\n  ${consoleErrors.join("\n  ")}`);
  }
} catch (err) {
  failed = true;
  console.error(`docs-check: ${err.message}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
