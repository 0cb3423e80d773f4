// Drives headless Chromium through Hookflow's integrator portal, as an
// integrator would: open the link, create a webhook with the page's form,
// watch the delivery appear, retry it, and see the new attempt. Run by
// e2e/portal_test.go (TestPortalInABrowser), which installs puppeteer-core
// and Chromium, runs the stack and the receiver, and publishes the event.
//
// Environment: PORTAL_URL (a portal link), CHROMIUM, SCREENSHOTS (a
// directory), RECEIVER_URL (answers 500, then 200), FACILITY, HIDDEN_TEXTS
// (newline-separated texts of another client the page must never show).
// Protocol: prints one line per step; after "webhook-created",
// "test-event-delivered" and "organization-subscription-created" it waits
// for "published" on stdin from the Go test (which publishes), after
// "disabled" for "checked" (the Go test saw the waiting delivery end).
import puppeteer from "puppeteer-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const portalURL = env("PORTAL_URL");
const shots = env("SCREENSHOTS");
const receiverURL = env("RECEIVER_URL");
const facility = env("FACILITY");
const hidden = env("HIDDEN_TEXTS").split("\n").filter(Boolean);
const orgPortalURL = env("ORG_PORTAL_URL");
const orgReceiverURL = env("ORG_RECEIVER_URL");
const otherOrg = env("OTHER_ORG");
const otherOrgText = env("OTHER_ORG_TEXT");
const origin = new URL(portalURL).origin;

const step = (line) => console.log(line);
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const profile = mkdtempSync(join(tmpdir(), "hookflow-portal-check-"));
const browser = await puppeteer.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  userDataDir: profile,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.setDefaultTimeout(15000);
  const requests = [];
  const pageErrors = [];
  page.on("request", (req) => requests.push(req.url()));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
  page.on("pageerror", (err) => pageErrors.push(String(err)));

  const text = () => page.evaluate(() => document.body.innerText);
  const waitText = (t, timeout) => page.waitForFunction((t) => document.body.innerText.includes(t), { timeout }, t);

  // The link opens the page; the token leaves the address bar.
  const resp = await page.goto(portalURL, { waitUntil: "networkidle0" });
  if (!resp || resp.status() !== 200) throw new Error(`GET ${portalURL} answered ${resp && resp.status()}`);
  await waitText("No endpoints yet");
  if (page.url().includes("token")) throw new Error(`the token stays in the address bar: ${page.url()}`);
  step("page-open");

  // Create a facility webhook through the form, events from the live catalog.
  await page.click("#add-webhook");
  await page.waitForSelector("#webhook-form");
  await page.waitForSelector('#wh-events input[value="shift.created"]');
  await page.click('#wh-events input[value="shift.created"]');
  // A bad URL: the API's own message shows, and nothing is created.
  await page.type("#wh-url", "not a url");
  await page.click("#webhook-form button[type=submit]");
  await page.waitForSelector("#error:not([hidden])");
  const message = await page.$eval("#error", (el) => el.textContent);
  if (!message.includes("URL")) throw new Error(`the error shown for a bad URL is ${JSON.stringify(message)}`);
  step(`bad-url-refused: ${message}`);
  // Chromium logs that provoked 400 as a console error; it is the only one allowed.
  const provoked = pageErrors.findIndex((e) => e.includes("status of 400"));
  if (provoked >= 0) pageErrors.splice(provoked, 1);
  await page.$eval("#wh-url", (el) => { el.value = ""; });
  await page.type("#wh-url", receiverURL);
  const facilityBox = await page.$(`#wh-facilities input[value="${facility}"]`);
  if (!facilityBox) throw new Error(`the form offers no checkbox for facility ${facility}`);
  if (!(await facilityBox.evaluate((el) => el.checked))) throw new Error("the token's facilities are not preselected");
  await page.screenshot({ path: join(shots, "portal-webhook-form.png") });
  await page.click("#webhook-form button[type=submit]");
  await page.waitForSelector("#webhook-list article.webhook");
  await waitText("Endpoint created");
  if (!(await text()).includes(receiverURL)) throw new Error("the new webhook is not listed");
  // Secrets stay hidden until asked.
  if ((await page.$$("code.secret")).length !== 0) throw new Error("a secret shows before Reveal is pressed");
  await page.click("#webhook-list article.webhook .actions button[aria-expanded]");
  await page.waitForSelector("code.secret");
  const secret = await page.$eval("code.secret", (el) => el.textContent);
  if (!/^whsec_/.test(secret)) throw new Error(`the revealed secret reads ${secret}`);
  await page.click("#webhook-list article.webhook .actions button[aria-expanded]"); // hide it again
  await page.waitForFunction(() => document.querySelectorAll("code.secret").length === 0);
  await page.screenshot({ path: join(shots, "portal-webhooks.png") });
  step("webhook-created");

  const answer = await stdinLines.next();
  if (answer.done || answer.value !== "published") throw new Error(`expected "published" on stdin, got ${JSON.stringify(answer.value)}`);

  // The delivery appears in the log once its first attempt failed; the page
  // has no live updates, so search again until it shows.
  await page.click("#nav-logs");
  await page.waitForSelector("#log-filters");
  const deadline = Date.now() + 20000;
  for (;;) {
    const row = await page.$("#log-table tbody tr");
    if (row && (await row.evaluate((r) => r.innerText.includes("retrying") && r.innerText.includes("500")))) break;
    if (Date.now() > deadline) throw new Error(`the failed delivery never appeared in the log:\n${await text()}`);
    await page.click("#log-filters button[type=submit]");
    await page.waitForNetworkIdle({ idleTime: 100 });
  }
  // The filters narrow it: this facility and event type show it.
  await page.select("#f-facility", facility);
  await page.select("#f-event", "shift.created");
  await page.click("#log-filters button[type=submit]");
  await page.waitForNetworkIdle({ idleTime: 100 });
  if ((await page.$$("#log-table tbody tr")).length !== 1) throw new Error(`the filtered log does not show the one delivery:\n${await text()}`);
  await page.screenshot({ path: join(shots, "portal-deliveries.png") });
  step("delivery-listed");

  // Its detail: one failed attempt and the next retry due.
  await page.click("#log-table tbody tr button.details");
  await page.waitForSelector("#attempts");
  if ((await page.$$("#attempts tbody tr")).length !== 1) throw new Error("the detail does not show one attempt");
  const facts = await page.$eval("#delivery-facts", (el) => el.innerText);
  if (facts.includes("None scheduled")) throw new Error(`no next retry is shown:\n${facts}`);
  if (!(await page.$eval("#attempts", (el) => el.innerText)).includes("500")) throw new Error("the failed attempt's 500 is not shown");

  // Retry from the page: a new, manual attempt that succeeds.
  await page.click("#retry");
  await page.waitForFunction(() => document.querySelectorAll("#attempts tbody tr").length === 2);
  const attempts = await page.$eval("#attempts", (el) => el.innerText);
  if (!attempts.includes("200") || !attempts.includes("manual retry")) throw new Error(`the new attempt is not shown:\n${attempts}`);
  await waitText("Retried");
  // Each attempt's exact request, headers included, folded until asked.
  await page.click("#attempts tbody tr:first-child details.request summary");
  const request = await page.$eval("#attempts tbody tr:first-child details.request", (el) => el.innerText);
  for (const want of ["webhook-signature", "webhook-timestamp", "content-type", "s-portal"]) {
    if (!request.includes(want)) throw new Error(`the attempt's request does not show ${want}:\n${request}`);
  }
  await page.screenshot({ path: join(shots, "portal-delivery.png"), fullPage: true });
  step("retried");

  // A phone's width: nothing wider than the screen.
  await page.setViewport({ width: 375, height: 800 });
  await page.click("#nav-logs");
  await page.waitForSelector("#log-table");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  if (overflow > 375) throw new Error(`at 375 px the page is ${overflow} px wide`);
  await page.screenshot({ path: join(shots, "portal-phone.png"), fullPage: true });
  await page.click("#nav-webhooks");
  await page.waitForSelector("#webhook-list");

  // Edit: add an event; then delete, in two presses.
  await page.setViewport({ width: 1280, height: 900 });
  await page.click("#webhook-list article.webhook .actions button:first-child");
  await page.waitForSelector('#wh-events input[value="shift.cancelled"]');
  await page.click('#wh-events input[value="shift.cancelled"]');
  await page.click("#webhook-form button[type=submit]");
  await waitText("Endpoint saved");
  if (!(await page.$eval("#webhook-list", (el) => el.innerText)).includes("shift.cancelled")) throw new Error(`the edit did not save:\n${await text()}`);
  // Send a test event: its delivery opens, with its attempt.
  await page.select("#webhook-list article.webhook select.test-type", "shift.cancelled");
  await page.click("#webhook-list article.webhook button.send-test");
  await page.waitForSelector("#attempts tbody tr", { timeout: 20000 });
  await waitText("Test event test-");
  if (!(await text()).includes("Delivery of shift.cancelled")) throw new Error(`the test event's delivery is not shown:\n${await text()}`);
  await page.screenshot({ path: join(shots, "portal-test-event.png"), fullPage: true });
  step("test-event-delivered");
  // The platform publishes again; the receiver fails it, so a delivery
  // waits in backoff when the page disables the endpoint.
  const again = await stdinLines.next();
  if (again.done || again.value !== "published") throw new Error(`expected "published" on stdin, got ${JSON.stringify(again.value)}`);

  // Endpoint health: the badge in the list says the state in words.
  await page.click("#nav-webhooks");
  await page.waitForSelector("#webhook-list article.webhook .badge.state-closed");
  const badgeText = await page.$eval("#webhook-list article.webhook .badge", (el) => el.textContent);
  if (!badgeText.includes("Healthy")) throw new Error(`the health badge reads ${JSON.stringify(badgeText)}`);
  // The Health view: state and the last hour's attempts (the 500, the
  // page's retry, its test event and the second event's 500).
  await page.click("#webhook-list article.webhook button.health");
  await page.waitForSelector("#health-facts");
  const hourRow = await page.$eval("#health-stats tbody tr:first-child", (tr) =>
    Object.fromEntries([...tr.cells].map((td) => [td.dataset.label, td.textContent])));
  if (hourRow.Attempts !== "4" || hourRow["5xx"] !== "2" || hourRow["2xx"] !== "2" || hourRow["Success rate"] !== "50.0 %") {
    throw new Error(`the last hour's stats read ${JSON.stringify(hourRow)}`);
  }
  if (!(await page.$eval("#health-state", (el) => el.textContent)).includes("circuit closed")) throw new Error(`the state is not shown:\n${await text()}`);
  step(`health-shown: ${JSON.stringify(hourRow)}`);
  // Disable, with a reason, in two presses.
  await page.type("#disable-reason", "receiver under maintenance");
  await page.click("#disable");
  await page.waitForFunction(() => document.querySelector("#disable")?.textContent.includes("again"));
  await page.click("#disable");
  await page.waitForSelector("#health-reason");
  await waitText("Endpoint disabled");
  const disabledFacts = await page.$eval("#health-facts", (el) => el.innerText);
  if (!disabledFacts.includes("Disabled") || !disabledFacts.includes("receiver under maintenance")) throw new Error(`the disabled state is not shown:\n${disabledFacts}`);
  if (!(await page.$eval("#health-changes", (el) => el.innerText)).includes("receiver under maintenance")) throw new Error("the disable is not listed among the changes");
  step("disabled");
  // The Go test sees the waiting delivery end as failed ("checked").
  const checked = await stdinLines.next();
  if (checked.done || checked.value !== "checked") throw new Error(`expected "checked" on stdin, got ${JSON.stringify(checked.value)}`);
  // Enable and recover since yesterday: the recovery re-drives the
  // delivery the disable ended, and runs to completed.
  await page.click("#enable-recover");
  await page.click("#enable");
  await page.waitForSelector("#recovery-state");
  await page.waitForFunction(() => document.querySelector("#recovery-state")?.textContent === "completed", { timeout: 20000 });
  await waitText("Recovery completed");
  const recovered = await page.$eval("#recovery-facts", (el) => el.innerText);
  const counted = await page.$eval("#recovery-facts", (el) => [el.querySelector("#recovery-found").textContent, el.querySelector("#recovery-redriven").textContent]);
  if (counted[0] !== "1" || counted[1] !== "1") throw new Error(`the recovery found and re-drove ${counted}, want 1 and 1:\n${recovered}`);
  if (!(await page.$eval("#health-state", (el) => el.textContent)).includes("circuit closed")) throw new Error(`enabled, the state is not closed:\n${await text()}`);
  if (!(await page.$eval("#health-changes", (el) => el.innerText)).includes("Enabled")) throw new Error("the enable is not listed among the changes");
  await page.screenshot({ path: join(shots, "portal-health.png"), fullPage: true });
  await page.setViewport({ width: 375, height: 800 });
  const healthOverflow = await page.evaluate(() => document.documentElement.scrollWidth);
  if (healthOverflow > 375) throw new Error(`at 375 px the Health view is ${healthOverflow} px wide`);
  await page.setViewport({ width: 1280, height: 900 });
  step(`recovered: ${recovered.replace(/\s+/g, " ")}`);
  // A rate limit set in the form is saved, shown in the list and the health.
  await page.click("#nav-webhooks");
  await page.waitForSelector("#webhook-list article.webhook button.edit");
  await page.click("#webhook-list article.webhook button.edit");
  await page.waitForSelector("#wh-rate");
  await page.type("#wh-rate", "5");
  await page.click("#webhook-form button[type=submit]");
  await waitText("Endpoint saved");
  if (!(await page.$eval("#webhook-list", (el) => el.innerText)).includes("rate limit 5/s")) throw new Error(`the rate limit is not shown:\n${await text()}`);
  await page.click("#webhook-list article.webhook button.health");
  await page.waitForSelector("#health-facts");
  if (!(await page.$eval("#health-facts", (el) => el.innerText)).includes("5 deliveries a second")) throw new Error("the health does not show the rate limit");
  step("rate-limit-saved");

  await page.click("#nav-webhooks");
  await page.waitForSelector("#webhook-list");
  const body = await text();
  await page.click("#webhook-list article.webhook button.danger");
  await page.waitForFunction(() => document.querySelector("#webhook-list button.danger")?.textContent.includes("again"));
  await page.click("#webhook-list article.webhook button.danger");
  await waitText("No endpoints yet");
  step("edited-and-deleted");

  // Another client's webhook never showed.
  for (const h of hidden) if (body.includes(h)) throw new Error(`the page shows another client's ${h}`);

  // An organization's link: its subscriptions; create one.
  // A query string makes it a new document: the same path with only
  // another fragment would not load the page again.
  const orgLink = new URL(orgPortalURL);
  orgLink.search = "?organization-link";
  await page.goto(orgLink.href, { waitUntil: "networkidle0" });
  await waitText("No subscriptions yet");
  if (page.url().includes("token")) throw new Error(`the token stays in the address bar: ${page.url()}`);
  await page.click("#add-subscription");
  await page.waitForSelector('#sub-events input[value="shift.created"]');
  await page.type("#sub-url", orgReceiverURL);
  await page.click("#sub-dev");
  await page.click('#sub-events input[value="shift.created"]');
  await page.click("#subscription-form button[type=submit]");
  await waitText("Subscription created");
  if (!(await page.$eval("#subscription-list", (el) => el.innerText)).includes(orgReceiverURL)) throw new Error(`the new subscription is not listed:\n${await text()}`);
  if ((await page.$$("code.secret")).length !== 0) throw new Error("a subscription's secret shows before Reveal is pressed");
  await page.click("#subscription-list article.subscription button[aria-expanded]");
  await page.waitForSelector("code.secret");
  await page.click("#subscription-list article.subscription button[aria-expanded]");
  await page.waitForFunction(() => document.querySelectorAll("code.secret").length === 0);
  await page.screenshot({ path: join(shots, "portal-organization.png") });
  // Edit: add an event; archive, then restore.
  await page.click("#subscription-list article.subscription button.edit");
  await page.waitForSelector('#sub-events input[value="shift.cancelled"]');
  await page.click('#sub-events input[value="shift.cancelled"]');
  await page.type("#sub-rate", "3");
  await page.click("#subscription-form button[type=submit]");
  await waitText("Subscription saved");
  const savedSub = await page.$eval("#subscription-list", (el) => el.innerText);
  if (!savedSub.includes("shift.cancelled") || !savedSub.includes("rate limit 3/s")) throw new Error(`the subscription's edit did not save:\n${await text()}`);
  // Its health: the badge, and the Health view of a subscription.
  await page.waitForSelector("#subscription-list article.subscription .badge.state-closed");
  await page.click("#subscription-list article.subscription button.health");
  await page.waitForSelector("#health-state");
  const subFacts = await page.$eval("#health-facts", (el) => el.innerText);
  if (!subFacts.includes("circuit closed") || !subFacts.includes("3 deliveries a second")) throw new Error(`the subscription's health reads:\n${subFacts}`);
  await page.click("#nav-webhooks");
  await page.waitForSelector("#subscription-list article.subscription button.lifecycle");
  await page.click("#subscription-list article.subscription button.lifecycle");
  await waitText("Subscription archived");
  if (!(await page.$("#archived-list article.subscription button.lifecycle"))) throw new Error(`the archived subscription is not offered for restoring:\n${await text()}`);
  await page.click("#archived-list article.subscription button.lifecycle");
  await waitText("Subscription restored");
  await page.click("#subscription-list article.subscription button.activity");
  await waitText("No posts yet");
  step("organization-subscription-created");

  // The platform publishes to the organization: the post shows in the
  // activity (no live updates: read it again until it does), then a retry.
  const orgAnswer = await stdinLines.next();
  if (orgAnswer.done || orgAnswer.value !== "published") throw new Error(`expected "published" on stdin, got ${JSON.stringify(orgAnswer.value)}`);
  const orgDeadline = Date.now() + 20000;
  while (!(await page.$("#activity-table tbody tr button.details"))) {
    if (Date.now() > orgDeadline) throw new Error(`the post never appeared in the activity:\n${await text()}`);
    await page.click("#nav-webhooks");
    await page.waitForSelector("#subscription-list article.subscription button.activity");
    await page.click("#subscription-list article.subscription button.activity");
    await page.waitForNetworkIdle({ idleTime: 100 });
  }
  await page.click("#activity-table tbody tr button.details");
  await page.waitForSelector("#posts tbody tr");
  await page.click("#retry-post");
  await page.waitForFunction(() => document.querySelectorAll("#posts tbody tr").length === 2);
  await page.click("#posts tbody tr:first-child details.request summary");
  if (!(await page.$eval("#posts", (el) => el.innerText)).includes("webhook-signature")) throw new Error(`the post's request headers are not shown:\n${await text()}`);
  await page.screenshot({ path: join(shots, "portal-organization-post.png"), fullPage: true });
  // A phone's width: nothing wider than the screen here either.
  await page.setViewport({ width: 375, height: 800 });
  const orgOverflow = await page.evaluate(() => document.documentElement.scrollWidth);
  if (orgOverflow > 375) throw new Error(`at 375 px the post's page is ${orgOverflow} px wide`);
  await page.setViewport({ width: 1280, height: 900 });
  step("organization-post-retried");

  // Another organization's: a 403, in words, and nothing of it shown.
  await page.evaluate((o) => { location.hash = `organization=${encodeURIComponent(o)}`; }, otherOrg);
  await page.waitForSelector("#org-denied");
  const denied = await page.$eval("#error", (el) => el.textContent);
  if (!denied.includes("does not give access")) throw new Error(`another organization's answer reads ${JSON.stringify(denied)}`);
  if ((await text()).includes(otherOrgText)) throw new Error("the page shows another organization's subscription");
  const provoked403 = pageErrors.findIndex((e) => e.includes("status of 403"));
  if (provoked403 >= 0) pageErrors.splice(provoked403, 1);
  step(`other-organization-refused: ${denied}`);

  // Nothing left the origin.
  const foreign = requests.filter((u) => !u.startsWith(origin + "/") && !u.startsWith("data:"));
  if (foreign.length > 0) throw new Error(`requests left the origin:\n  ${foreign.join("\n  ")}`);
  if (requests.length < 10) throw new Error(`only ${requests.length} requests were tracked`);
  if (pageErrors.length > 0) throw new Error(`errors in the page:\n  ${pageErrors.join("\n  ")}`);
  step(`done: ${requests.length} requests, all to ${origin}; screenshots in ${shots}`);
} catch (err) {
  failed = true;
  console.error(`portal-check: ${err.stack || err.message}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
