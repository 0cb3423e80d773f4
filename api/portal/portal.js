// Hookflow's integrator portal: plain modern JavaScript, no build step.
// The page reads a portal link's token from the URL fragment (never sent to
// any server), keeps it in sessionStorage for this tab only, removes it
// from the address bar, and calls the public API with it, so the API's own
// rules decide what the integrator may see and do.

import { healthViews } from "./health.js";

const TOKEN_KEY = "hookflow-portal-token";
const KINDS = ["facility", "user"];
const PAGE = 10;

// --- The token ----------------------------------------------------------

function takeToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get("token");
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

// claimsOf reads the token's claims for display only; the API verifies it.
function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

const token = takeToken();
const claims = token ? claimsOf(token) : {};
const facilities = Array.isArray(claims.facilities) ? claims.facilities : [];

// --- The API ------------------------------------------------------------

class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// api calls the public API with the portal token; an error carries the
// API's own message (a list of validation messages is joined).
async function api(method, path, body, contentType = "application/json", extraHeaders = {}) {
  const headers = { ...extraHeaders, Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = contentType;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" });
  } catch {
    throw new APIError(0, "The server cannot be reached. Check your connection and try again.");
  }
  const text = await resp.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: worded below */ }
  if (!resp.ok) {
    if (resp.status === 401) throw new APIError(401, "This portal link has expired or is not valid. Ask for a new link.");
    const msg = json && json.message;
    if (resp.status === 403) throw new APIError(403, `This link does not give access to that (${msg || "Forbidden"}).`);
    throw new APIError(resp.status, Array.isArray(msg) ? msg.join("; ") : msg || `The server answered ${resp.status}.`);
  }
  return json;
}

// --- DOM helpers (text only: nothing from the API is parsed as HTML) -----

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const app = document.getElementById("app");
const errorBox = document.getElementById("error");
const notice = document.getElementById("notice");

function showError(err) {
  errorBox.textContent = err instanceof Error ? err.message : String(err);
  errorBox.hidden = false;
  errorBox.focus?.();
}
function clearMessages() {
  errorBox.hidden = true;
  errorBox.textContent = "";
  notice.textContent = "";
}
function say(text) { notice.textContent = text; }

// when shows a time in the browser's zone.
const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
function when(iso) { return iso ? fmt.format(new Date(iso)) : "—"; }

function render(...nodes) {
  app.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
}

// run guards a button's action: disabled while it runs, errors shown.
async function run(button, action) {
  clearMessages();
  if (button) button.disabled = true;
  try {
    await action();
  } catch (err) {
    showError(err);
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}

// --- The event catalog ----------------------------------------------------

// Facility webhooks take the "shift" category's events, user webhooks the
// "facility" category's (hookflow.CategoryForKind), plus "all".
const CATEGORY = { facility: "shift", user: "facility" };
const catalog = {};

async function loadCatalog() {
  try {
    const cats = await api("GET", "/api/webhook-categories?take=100");
    for (const kind of KINDS) {
      const cat = (cats.data || []).find((c) => c.code === CATEGORY[kind]);
      if (!cat) { catalog[kind] = null; continue; }
      const evs = await api("GET", `/api/webhook-categories/${encodeURIComponent(cat.id)}/webhook-events?take=100`);
      catalog[kind] = (evs.data || [])
        .filter((e) => e.activeInfo?.isActive !== false && !e.archiveInfo?.isArchived)
        .map((e) => ({ code: e.code, name: e.name }));
    }
  } catch {
    // Without the catalog the form takes event codes as text; the API's
    // 400 then names the allowed values.
    for (const kind of KINDS) catalog[kind] = null;
  }
}

// --- Endpoints (webhooks) ---------------------------------------------------

async function showWebhooks() {
  setNav("webhooks");
  render(h("p", { class: "loading" }, "Loading endpoints…"));
  const lists = await Promise.all(KINDS.map((k) => api("GET", `/api/v2/public/webhooks/${k}?limit=100`)));
  const items = lists.flatMap((l, i) => (l.data || []).map((w) => ({ ...w, kind: KINDS[i] })));
  const badges = [];
  const list = items.length === 0
    ? h("p", { class: "empty" }, "No endpoints yet. Add one to start receiving events.")
    : h("div", { id: "webhook-list" }, items.map((w) => webhookCard(w, badges)));
  render(
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "add-webhook", onclick: () => showForm() }, "Add endpoint")),
    h("h2", {}, `Endpoints (${items.length})`),
    list,
  );
  health.loadBadges(badges); // after the list shows; each badge fills in on its own
}

// webhookEndpoint is a webhook as the health views see it.
function webhookEndpoint(w) {
  return { base: `/api/v2/public/webhooks/${w.kind}/${encodeURIComponent(w.id)}`, unwrap: (r) => r.data, title: w.url, back: showWebhooks };
}

const rateText = (n) => (n ? `rate limit ${n}/s` : "no rate limit");

function webhookCard(w, badges) {
  const slot = health.badgeSlot();
  badges.push({ ep: webhookEndpoint(w), slot });
  const secretBox = h("div", { class: "secrets" });
  const revealButton = h("button", { type: "button", "aria-expanded": "false" }, "Reveal secret");
  revealButton.addEventListener("click", () => run(revealButton, async () => {
    if (revealButton.getAttribute("aria-expanded") === "true") {
      secretBox.replaceChildren();
      revealButton.setAttribute("aria-expanded", "false");
      revealButton.textContent = "Reveal secret";
      return;
    }
    const one = await api("GET", `/api/v2/public/webhooks/${w.kind}/${encodeURIComponent(w.id)}`);
    secretBox.replaceChildren(...(one.data.secrets || []).map((s) => h("div", { class: "actions" },
      h("code", { class: "secret" }, s),
      h("button", { type: "button", onclick: (e) => copy(e.currentTarget, s) }, "Copy"))));
    revealButton.setAttribute("aria-expanded", "true");
    revealButton.textContent = "Hide secret";
  }));
  const del = h("button", { type: "button", class: "danger" }, "Delete");
  del.addEventListener("click", () => run(del, async () => {
    // Two steps instead of a blocking dialog: the first press asks.
    if (del.dataset.armed !== "yes") {
      del.dataset.armed = "yes";
      del.textContent = "Press again to delete";
      return;
    }
    await api("DELETE", `/api/v2/public/webhooks/${w.kind}/${encodeURIComponent(w.id)}`);
    await showWebhooks();
    say("Endpoint deleted.");
  }));
  const types = subscribedTypes(w.kind, w.events || []);
  const typeSelect = h("select", { class: "test-type", "aria-label": "Event type of the test event" },
    types.map((t) => h("option", { value: t }, t)));
  const test = h("button", { type: "button", class: "send-test" }, "Send test event");
  test.addEventListener("click", () => run(test, async () => {
    const body = typeSelect.value ? { eventType: typeSelect.value } : undefined;
    const sent = (await api("POST", `/api/v2/public/webhooks/${w.kind}/${encodeURIComponent(w.id)}/test`, body)).data;
    await showDelivery(sent.logId, true);
    say(`Test event ${sent.eventId} sent.`);
  }));
  return h("article", { class: "card webhook", "data-id": w.id },
    h("div", { class: "url" }, w.url),
    h("div", { class: "meta" }, slot),
    h("div", { class: "meta" }, `${w.kind === "facility" ? "Facility" : "User"} endpoint · events: ${(w.events || []).join(", ")} · ${rateText(w.rateLimit)}`),
    w.facilities ? h("div", { class: "meta" }, `Facilities: ${w.facilities.join(", ") || "—"}`) : null,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "edit", onclick: () => showForm(w) }, "Edit"),
      h("button", { type: "button", class: "health", onclick: (e) => run(e.currentTarget, () => health.showHealth(webhookEndpoint(w))) }, "Health"),
      revealButton, del),
    h("div", { class: "actions test" }, typeSelect, test),
    secretBox);
}

// subscribedTypes are the event types a test event may have: the webhook's,
// "all" standing for its kind's whole catalog.
function subscribedTypes(kind, events) {
  const out = events.filter((e) => e !== "all");
  if (events.includes("all")) for (const e of catalog[kind] || []) if (!out.includes(e.code)) out.push(e.code);
  return out;
}

async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Copy failed: select the text";
  }
}

// showForm creates (w absent) or edits a webhook.
function showForm(w) {
  clearMessages();
  const editing = Boolean(w);
  const kindSelect = h("select", { id: "wh-kind", disabled: editing },
    KINDS.map((k) => h("option", { value: k, selected: w?.kind === k }, k === "facility" ? "Facility events" : "User events")));
  const url = h("input", { type: "url", id: "wh-url", required: true, placeholder: "https://example.com/webhooks", value: w?.url ?? "" });
  const eventsBox = h("div");
  const facilitiesBox = h("div");
  const chosen = new Set(w?.events ?? []);
  const drawKind = () => {
    const kind = kindSelect.value;
    const codes = catalog[kind];
    if (codes) {
      const options = kind === "user" ? [{ code: "all", name: "Every event" }, ...codes] : [...codes, { code: "all", name: "Every event" }];
      eventsBox.replaceChildren(h("fieldset", { id: "wh-events" }, h("legend", {}, "Events"),
        options.map((e) => h("label", {}, h("input", { type: "checkbox", name: "event", value: e.code, checked: chosen.has(e.code) }), `${e.code}${e.name && e.name !== e.code ? ` (${e.name})` : ""}`))));
    } else {
      eventsBox.replaceChildren(h("div", { class: "field" },
        h("label", { for: "wh-events-text" }, "Events (codes separated by commas, or all)"),
        h("input", { type: "text", id: "wh-events-text", value: [...chosen].join(", ") })));
    }
    facilitiesBox.replaceChildren(kind !== "facility" ? "" : h("fieldset", { id: "wh-facilities" }, h("legend", {}, "Facilities"),
      facilities.length === 0 ? h("p", { class: "meta" }, "Your link names no facilities.") : null,
      facilities.map((f) => h("label", {}, h("input", { type: "checkbox", name: "facility", value: f, checked: w ? (w.facilities || []).includes(f) : true }), f))));
  };
  kindSelect.addEventListener("change", drawKind);
  drawKind();
  const rate = rateField("wh-rate", w?.rateLimit);
  const save = h("button", { type: "submit", class: "primary" }, editing ? "Save changes" : "Create endpoint");
  const form = h("form", { class: "panel", id: "webhook-form", novalidate: true },
    h("h2", {}, editing ? "Edit endpoint" : "Add endpoint"),
    h("div", { class: "field" }, h("label", { for: "wh-kind" }, "Kind"), kindSelect),
    h("div", { class: "field" }, h("label", { for: "wh-url" }, "URL"), url),
    eventsBox, facilitiesBox, rate,
    h("div", { class: "actions" }, save, h("button", { type: "button", onclick: () => run(null, showWebhooks) }, "Cancel")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run(save, async () => {
      const kind = kindSelect.value;
      const text = form.querySelector("#wh-events-text");
      const events = text
        ? text.value.split(",").map((s) => s.trim()).filter(Boolean)
        : [...form.querySelectorAll("input[name=event]:checked")].map((i) => i.value);
      const body = { url: url.value.trim(), events };
      if (kind === "facility") body.facilities = [...form.querySelectorAll("input[name=facility]:checked")].map((i) => i.value);
      // Empty is unlimited: null removes a limit in a PATCH, a create leaves it out.
      const limit = rateValue(form, "wh-rate");
      if (limit !== null) body.rateLimit = limit;
      else if (editing) body.rateLimit = null;
      if (editing) await api("PATCH", `/api/v2/public/webhooks/${kind}/${encodeURIComponent(w.id)}`, body);
      else await api("POST", `/api/v2/public/webhooks/${kind}`, body);
      await showWebhooks();
      say(editing ? "Endpoint saved." : "Endpoint created. Reveal its secret to verify signatures.");
    });
  });
  render(form);
  url.focus();
}

// rateField is the form's optional rate limit; the API checks the number
// (1 to 1000, whole) and its message shows when it is not one.
function rateField(id, value) {
  return h("div", { class: "field" }, h("label", { for: id }, "Rate limit (deliveries a second; empty: unlimited)"),
    h("input", { type: "text", inputmode: "numeric", id, value: value ?? "", placeholder: "unlimited", autocomplete: "off" }));
}
function rateValue(form, id) {
  const v = form.querySelector(`#${id}`).value.trim();
  if (v === "") return null;
  return /^\d+$/.test(v) ? Number(v) : v; // not a number: sent as typed, for the API's message
}

// --- Deliveries (logs) --------------------------------------------------------

const filters = { facility: "", eventType: "", start: "", end: "", offset: 0 };

async function showLogs() {
  setNav("logs");
  const facilitySelect = h("select", { id: "f-facility" }, h("option", { value: "" }, "Every facility"),
    facilities.map((f) => h("option", { value: f, selected: filters.facility === f }, f)));
  const eventCodes = [...new Set(KINDS.flatMap((k) => (catalog[k] || []).map((e) => e.code)))];
  const eventInput = eventCodes.length > 0
    ? h("select", { id: "f-event" }, h("option", { value: "" }, "Every event"), eventCodes.map((c) => h("option", { value: c, selected: filters.eventType === c }, c)))
    : h("input", { type: "text", id: "f-event", value: filters.eventType, placeholder: "e.g. shift.created" });
  const start = h("input", { type: "datetime-local", id: "f-start", value: filters.start });
  const end = h("input", { type: "datetime-local", id: "f-end", value: filters.end });
  const search = h("button", { type: "submit", class: "primary" }, "Search");
  const form = h("form", { class: "panel filters", id: "log-filters" },
    h("div", { class: "field" }, h("label", { for: "f-facility" }, "Facility"), facilitySelect),
    h("div", { class: "field" }, h("label", { for: "f-event" }, "Event type"), eventInput),
    h("div", { class: "field" }, h("label", { for: "f-start" }, "From"), start),
    h("div", { class: "field" }, h("label", { for: "f-end" }, "To"), end),
    h("div", {}, search));
  const results = h("div", { id: "log-results" }, h("p", { class: "loading" }, "Loading deliveries…"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    Object.assign(filters, { facility: facilitySelect.value, eventType: eventInput.value.trim(), start: start.value, end: end.value, offset: 0 });
    run(search, () => loadLogs(results));
  });
  render(h("h2", {}, "Deliveries"), form, results);
  await loadLogs(results);
}

async function loadLogs(results) {
  const q = new URLSearchParams({ limit: String(PAGE), offset: String(filters.offset) });
  if (filters.facility) q.append("facilitiesIds", filters.facility);
  if (filters.eventType) q.set("eventType", filters.eventType);
  // datetime-local is the browser's zone; the API takes RFC 3339.
  if (filters.start) q.set("startDate", new Date(filters.start).toISOString());
  if (filters.end) q.set("endDate", new Date(filters.end).toISOString());
  const page = await api("GET", `/api/v2/public/webhooks/logs?${q}`);
  const rows = page.data || [];
  if (rows.length === 0) {
    results.replaceChildren(h("p", { class: "empty" }, filters.offset > 0 ? "No more deliveries." : "No deliveries match. Deliveries appear here once an event is sent to one of your endpoints."));
    return;
  }
  const table = h("table", { class: "responsive", id: "log-table" },
    h("thead", {}, h("tr", {}, ["Time", "Event", "Facility", "Status", "Attempts", "Last response", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-id": r.id },
      h("td", { "data-label": "Time" }, when(r.createdAt)),
      h("td", { "data-label": "Event" }, r.eventType),
      h("td", { "data-label": "Facility" }, r.facilityId || "—"),
      h("td", { "data-label": "Status", class: `status-${r.deliveryStatus}` }, r.deliveryStatus),
      h("td", { "data-label": "Attempts" }, r.attempts),
      h("td", { "data-label": "Last response" }, r.responseStatus ?? "—"),
      h("td", {}, h("button", { type: "button", class: "details", onclick: (e) => run(e.currentTarget, () => showDelivery(r.id)) }, "Details"))))));
  const total = page.total ?? rows.length;
  const prev = h("button", { type: "button", disabled: filters.offset === 0 }, "Previous");
  const next = h("button", { type: "button", disabled: filters.offset + PAGE >= total }, "Next");
  prev.addEventListener("click", () => { filters.offset = Math.max(0, filters.offset - PAGE); run(prev, () => loadLogs(results)); });
  next.addEventListener("click", () => { filters.offset += PAGE; run(next, () => loadLogs(results)); });
  results.replaceChildren(h("div", { class: "table-wrap" }, table),
    h("div", { class: "pager" }, prev, h("span", { class: "meta" }, `${filters.offset + 1}–${filters.offset + rows.length} of ${total}`), next));
}

// showDelivery shows one delivery; waitForAttempt (a test event just sent)
// reads it again for a few seconds until its first attempt is recorded.
async function showDelivery(id, waitForAttempt = false) {
  setNav("logs");
  const read = async () => (await api("GET", `/api/v2/public/webhooks/logs/${encodeURIComponent(id)}`)).data;
  let entry = await read();
  for (let i = 0; waitForAttempt && (entry.history || []).length === 0 && i < 40; i++) {
    render(h("p", { class: "loading" }, "Sending… waiting for the first attempt."));
    await new Promise((r) => setTimeout(r, 250));
    entry = await read();
  }
  const history = entry.history || [];
  const retry = h("button", { type: "button", class: "primary", id: "retry" }, "Retry now");
  retry.addEventListener("click", () => run(retry, async () => {
    await api("POST", `/api/v2/public/webhooks/logs/${encodeURIComponent(id)}/retry`);
    await showDelivery(id);
    say("Retried: the new attempt is listed below.");
  }));
  render(
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => run(null, showLogs) }, "← Back to deliveries"), retry),
    h("h2", {}, `Delivery of ${entry.eventType}`),
    h("div", { class: "card" }, h("dl", { class: "facts", id: "delivery-facts" },
      fact("Status", h("span", { class: `status-${entry.deliveryStatus}`, id: "delivery-status" }, entry.deliveryStatus)),
      fact("URL", entry.url),
      fact("Facility", entry.facilityId || "—"),
      fact("Created", when(entry.createdAt)),
      fact("Attempts", String(entry.attempts)),
      fact("Next retry", entry.nextRetryAt ? when(entry.nextRetryAt) : "None scheduled"),
      entry.error ? fact("Last error", entry.error) : null,
      fact("Delivery id", entry.id))),
    h("h2", {}, "Request body sent"),
    h("pre", {}, pretty(entry.requestPayload)),
    h("h2", {}, `Attempts (${history.length})`),
    history.length === 0 ? h("p", { class: "empty" }, "No attempt yet.") :
      h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "attempts" },
        h("thead", {}, h("tr", {}, ["#", "Time", "Status", "Duration", "Kind", "Response body", "Request"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, history.map((a, i) => h("tr", { class: "attempt" },
          h("td", { "data-label": "#" }, String(i + 1)),
          h("td", { "data-label": "Time" }, when(a.createdAt)),
          h("td", { "data-label": "Status", class: a.success ? "status-success" : "status-failure" }, a.responseStatus ? String(a.responseStatus) : a.error || "no answer"),
          h("td", { "data-label": "Duration" }, a.durationMs != null ? `${a.durationMs} ms` : "—"),
          h("td", { "data-label": "Kind" }, a.manual ? "manual retry" : "scheduled"),
          h("td", { "data-label": "Response body" }, h("pre", {}, a.responseBody || "(empty)")),
          h("td", { "data-label": "Request" }, requestDetails(a.request))))))));
}

// requestDetails shows the exact request an attempt sent, folded.
function requestDetails(req) {
  if (!req) return "Not recorded";
  const names = Object.keys(req.headers || {}).sort();
  return h("details", { class: "request" }, h("summary", {}, "Request"),
    h("h3", {}, "Headers"),
    h("dl", { class: "facts headers" }, names.flatMap((n) => fact(n, req.headers[n]))),
    h("h3", {}, "Body"),
    h("pre", {}, req.body)); // byte for byte, as the receiver got it
}

function fact(name, value) {
  return [h("dt", {}, name), h("dd", {}, value)];
}

function pretty(payload) {
  if (payload == null) return "—";
  if (typeof payload !== "string") return JSON.stringify(payload, null, 2);
  try { return JSON.stringify(JSON.parse(payload), null, 2); } catch { return payload; }
}

// --- An organization's subscriptions (an organization link) ---------------

// orgId is the organization shown: the link's org_id, or another named in
// the fragment (#organization=...), which the API answers 403 unless the
// token may see it.
function orgId() {
  return new URLSearchParams(location.hash.slice(1)).get("organization") || claims.org_id;
}
const orgBase = () => `/api/organizations/${encodeURIComponent(orgId())}/webhook-subscriptions`;
const subPath = (sub) => `${orgBase()}/${encodeURIComponent(sub.id)}`;

// The live catalog, every category: a subscription may take any event.
let orgCatalog = null;
async function loadOrgCatalog() {
  try {
    const cats = await api("GET", "/api/webhook-categories?take=100");
    const lists = await Promise.all((cats.data || []).map((c) =>
      api("GET", `/api/webhook-categories/${encodeURIComponent(c.id)}/webhook-events?take=100`)));
    orgCatalog = [...new Set(lists.flatMap((l) => (l.data || [])
      .filter((e) => e.activeInfo?.isActive !== false && !e.archiveInfo?.isArchived).map((e) => e.code)))];
  } catch {
    orgCatalog = null; // the form then takes codes as text
  }
}

async function showSubscriptions() {
  setNav("webhooks");
  render(h("p", { class: "loading" }, "Loading subscriptions…"));
  let list;
  try {
    list = await api("GET", `${orgBase()}?take=100`);
  } catch (err) {
    render(h("p", { class: "empty", id: "org-denied" }, `Organization ${orgId()}: ${err.message}`));
    throw err;
  }
  const items = list.data || [];
  // The API lists no archived subscription; those archived from this tab
  // are read one by one, so that they can be restored.
  const archived = [];
  for (const id of archivedHere()) {
    try {
      const sub = await api("GET", `${orgBase()}/${encodeURIComponent(id)}`);
      if (sub.archiveInfo?.isArchived) archived.push(sub);
      else rememberArchived(id, false);
    } catch (err) {
      if (err.status !== 404) throw err;
      rememberArchived(id, false);
    }
  }
  const badges = [];
  render(
    h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "add-subscription", onclick: () => showSubscriptionForm() }, "Add subscription")),
    h("h2", {}, `Subscriptions of ${orgId()} (${items.length})`),
    items.length === 0 ? h("p", { class: "empty" }, "No subscriptions yet. Add one to start receiving events.")
      : h("div", { id: "subscription-list" }, items.map((sub) => subscriptionCard(sub, badges))),
    archived.length === 0 ? null : [h("h2", {}, `Archived from this tab (${archived.length})`),
      h("div", { id: "archived-list" }, archived.map((sub) => subscriptionCard(sub, badges)))]);
  health.loadBadges(badges);
}

// subscriptionEndpoint is a subscription as the health views see it.
function subscriptionEndpoint(sub) {
  return { base: subPath(sub), unwrap: (r) => r, title: sub.postUri, back: showSubscriptions };
}

// The subscriptions archived from this tab, per organization.
const archivedKey = () => `hookflow-portal-archived:${orgId()}`;
function archivedHere() {
  try { return JSON.parse(sessionStorage.getItem(archivedKey()) || "[]"); } catch { return []; }
}
function rememberArchived(id, archived) {
  const ids = archivedHere().filter((x) => x !== id);
  if (archived) ids.push(id);
  sessionStorage.setItem(archivedKey(), JSON.stringify(ids));
}

function subscriptionCard(sub, badges) {
  const archived = Boolean(sub.archiveInfo?.isArchived);
  const slot = health.badgeSlot();
  badges.push({ ep: subscriptionEndpoint(sub), slot });
  const secretBox = h("div", { class: "secrets" });
  const reveal = h("button", { type: "button", "aria-expanded": "false" }, "Reveal secret");
  reveal.addEventListener("click", () => run(reveal, async () => {
    if (reveal.getAttribute("aria-expanded") === "true") {
      secretBox.replaceChildren();
      reveal.setAttribute("aria-expanded", "false");
      reveal.textContent = "Reveal secret";
      return;
    }
    const secret = (await api("GET", `${subPath(sub)}/secrets`)).secretKey;
    secretBox.replaceChildren(h("div", { class: "actions" }, h("code", { class: "secret" }, secret),
      h("button", { type: "button", onclick: (e) => copy(e.currentTarget, secret) }, "Copy")));
    reveal.setAttribute("aria-expanded", "true");
    reveal.textContent = "Hide secret";
  }));
  const lifecycle = h("button", { type: "button", class: "lifecycle" }, archived ? "Restore" : "Archive");
  lifecycle.addEventListener("click", () => run(lifecycle, async () => {
    await api("POST", `${subPath(sub)}/${archived ? "restore" : "archive"}`);
    rememberArchived(sub.id, !archived);
    await showSubscriptions();
    say(archived ? "Subscription restored." : "Subscription archived: it receives nothing until restored.");
  }));
  const del = h("button", { type: "button", class: "danger" }, "Delete");
  del.addEventListener("click", () => run(del, async () => {
    if (del.dataset.armed !== "yes") {
      del.dataset.armed = "yes";
      del.textContent = "Press again to delete";
      return;
    }
    await api("DELETE", subPath(sub));
    rememberArchived(sub.id, false);
    await showSubscriptions();
    say("Subscription deleted.");
  }));
  return h("article", { class: "card subscription", "data-id": sub.id },
    h("div", { class: "url" }, sub.postUri),
    h("div", { class: "meta" }, slot),
    h("div", { class: "meta" }, `${archived ? "Archived · " : ""}${sub.isDevelopment ? "Development · " : ""}events: ${(sub.events || []).join(", ")} · ${rateText(sub.rateLimit)}`),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "activity", onclick: (e) => run(e.currentTarget, () => showActivity(sub, 0)) }, "Activity"),
      h("button", { type: "button", class: "health", onclick: (e) => run(e.currentTarget, () => health.showHealth(subscriptionEndpoint(sub))) }, "Health"),
      h("button", { type: "button", class: "edit", onclick: () => showSubscriptionForm(sub) }, "Edit"),
      reveal, lifecycle, del),
    secretBox);
}

// showSubscriptionForm creates (sub absent) or edits a subscription; an
// edit is a JSON Patch of what changed.
function showSubscriptionForm(sub) {
  clearMessages();
  const editing = Boolean(sub);
  const url = h("input", { type: "url", id: "sub-url", required: true, placeholder: "https://example.com/webhooks", value: sub?.postUri ?? "" });
  const dev = h("input", { type: "checkbox", id: "sub-dev", checked: Boolean(sub?.isDevelopment) });
  const chosen = new Set(sub?.events ?? []);
  const events = orgCatalog
    ? h("fieldset", { id: "sub-events" }, h("legend", {}, "Events"),
      [...orgCatalog, "all"].map((code) => h("label", {}, h("input", { type: "checkbox", name: "event", value: code, checked: chosen.has(code) }), code === "all" ? "all (every event)" : code)))
    : h("div", { class: "field" }, h("label", { for: "sub-events-text" }, "Events (codes separated by commas, or all)"),
      h("input", { type: "text", id: "sub-events-text", value: [...chosen].join(", ") }));
  const save = h("button", { type: "submit", class: "primary" }, editing ? "Save changes" : "Create subscription");
  const form = h("form", { class: "panel", id: "subscription-form", novalidate: true },
    h("h2", {}, editing ? "Edit subscription" : "Add subscription"),
    h("div", { class: "field" }, h("label", { for: "sub-url" }, "Post URI"), url),
    h("label", {}, dev, " Development endpoint (may be plain http)"),
    events, rateField("sub-rate", sub?.rateLimit),
    h("div", { class: "actions" }, save, h("button", { type: "button", onclick: () => run(null, showSubscriptions) }, "Cancel")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run(save, async () => {
      const text = form.querySelector("#sub-events-text");
      const codes = text ? text.value.split(",").map((c) => c.trim()).filter(Boolean)
        : [...form.querySelectorAll("input[name=event]:checked")].map((i) => i.value);
      const body = { postUri: url.value.trim(), events: codes, isDevelopment: dev.checked };
      const limit = rateValue(form, "sub-rate");
      if (limit !== null) body.rateLimit = limit;
      if (editing) {
        // "add" sets /rateLimit whether or not one is set (absent when none).
        const ops = Object.entries(body).map(([k, v]) => ({ op: k === "rateLimit" ? "add" : "replace", path: `/${k}`, value: v }));
        if (limit === null && sub.rateLimit) ops.push({ op: "remove", path: "/rateLimit" }); // empty: unlimited
        await api("PATCH", subPath(sub), ops, "application/json-patch+json");
      } else {
        await api("POST", orgBase(), body);
      }
      await showSubscriptions();
      say(editing ? "Subscription saved." : "Subscription created. Reveal its secret to verify signatures.");
    });
  });
  render(form);
  url.focus();
}

// showActivity lists a subscription's posts, a page at a time.
async function showActivity(sub, skip) {
  setNav("webhooks");
  const page = await api("GET", `${subPath(sub)}/activity?take=${PAGE}&skip=${skip}&include=event`);
  const rows = page.data || [];
  const total = page.total ?? rows.length;
  const back = h("button", { type: "button", onclick: () => run(null, showSubscriptions) }, "← Back to subscriptions");
  if (rows.length === 0) {
    render(h("div", { class: "actions" }, back), h("h2", {}, `Activity of ${sub.postUri}`),
      h("p", { class: "empty" }, skip > 0 ? "No more posts." : "No posts yet. They appear here once an event is sent to this subscription."));
    return;
  }
  const prev = h("button", { type: "button", disabled: skip === 0 }, "Previous");
  const next = h("button", { type: "button", disabled: skip + PAGE >= total }, "Next");
  prev.addEventListener("click", () => run(prev, () => showActivity(sub, Math.max(0, skip - PAGE))));
  next.addEventListener("click", () => run(next, () => showActivity(sub, skip + PAGE)));
  render(h("div", { class: "actions" }, back), h("h2", {}, `Activity of ${sub.postUri}`),
    h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "activity-table" },
      h("thead", {}, h("tr", {}, ["Time", "Event", "Status", "Next retry", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((a) => h("tr", { "data-id": a.id },
        h("td", { "data-label": "Time" }, when(a.postedAt || a.auditInfo?.createdAt)),
        h("td", { "data-label": "Event" }, a.event?.code || "—"),
        h("td", { "data-label": "Status", class: a.success ? "status-success" : "status-failure" }, a.httpStatusCode ? String(a.httpStatusCode) : a.error || (a.postedAt ? "no answer" : "pending")),
        h("td", { "data-label": "Next retry" }, a.nextRetryAt ? when(a.nextRetryAt) : "—"),
        h("td", {}, h("button", { type: "button", class: "details", onclick: (e) => run(e.currentTarget, () => showPost(sub, a.id)) }, "Details"))))))),
    h("div", { class: "pager" }, prev, h("span", { class: "meta" }, `${skip + 1}–${skip + rows.length} of ${total}`), next));
}

// showPost shows one post with the retries under it, and retries it.
async function showPost(sub, id) {
  const post = await api("GET", `${subPath(sub)}/activity/${encodeURIComponent(id)}?mode=flat`);
  const retry = h("button", { type: "button", class: "primary", id: "retry-post" }, "Retry now");
  retry.addEventListener("click", () => run(retry, async () => {
    await api("POST", `${subPath(sub)}/activity/${encodeURIComponent(id)}/retry`);
    await showPost(sub, id);
    say("Retried: the new post is listed below.");
  }));
  const posts = [post, ...(post.childPostHistory || [])];
  render(
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => run(null, () => showActivity(sub, 0)) }, "← Back to activity"), retry),
    h("h2", {}, `Post of ${post.event?.code || "an event"}`),
    h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "posts" },
      h("thead", {}, h("tr", {}, ["Time", "Status", "Response", "Request"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, posts.map((p) => h("tr", {},
        h("td", { "data-label": "Time" }, when(p.postedAt || p.auditInfo?.createdAt)),
        h("td", { "data-label": "Status", class: p.success ? "status-success" : "status-failure" }, p.httpStatusCode ? String(p.httpStatusCode) : p.error || "—"),
        h("td", { "data-label": "Response" }, h("pre", {}, p.rawResponse == null ? "—" : pretty(p.rawResponse))),
        h("td", { "data-label": "Request" }, p.payload == null ? "—" : requestDetails({ headers: p.rawMessage || {}, body: p.payload }))))))));
}

// --- Endpoint health (health.js) ---------------------------------------------

const health = healthViews({
  api, h, run, say, render, when, fact, clearMessages,
  // The recover form's event types: the link's catalog.
  eventCodes: () => (claims.org_id ? orgCatalog || [] : [...new Set(KINDS.flatMap((k) => (catalog[k] || []).map((e) => e.code)))]),
});

// --- Navigation -----------------------------------------------------------

function setNav(screen) {
  for (const name of ["webhooks", "logs"]) {
    const b = document.getElementById(`nav-${name}`);
    if (name === screen) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
}

async function start() {
  if (!token) {
    document.getElementById("who").textContent = "";
    render(h("p", { class: "empty" }, "This page needs a portal link. Ask the platform that sent you here for a new one."));
    return;
  }
  if (claims.org_id) {
    await startOrganization();
    return;
  }
  const who = [`Client ${claims.client_id || claims.sub || "?"}`];
  if (facilities.length) who.push(`facilities ${facilities.join(", ")}`);
  if (claims.exp) who.push(`link valid until ${when(new Date(claims.exp * 1000).toISOString())}`);
  document.getElementById("who").textContent = who.join(" · ");
  document.getElementById("nav-webhooks").addEventListener("click", (e) => run(e.currentTarget, showWebhooks));
  document.getElementById("nav-logs").addEventListener("click", (e) => run(e.currentTarget, showLogs));
  await loadCatalog();
  await run(null, showWebhooks);
}

// startOrganization is the page of an organization link: its
// subscriptions, their activity and secrets.
async function startOrganization() {
  const who = [`Organization ${claims.org_id}`];
  if (claims.exp) who.push(`link valid until ${when(new Date(claims.exp * 1000).toISOString())}`);
  document.getElementById("who").textContent = who.join(" · ");
  document.querySelector(".top h1").textContent = "Webhook subscriptions";
  const nav = document.getElementById("nav-webhooks");
  nav.textContent = "Subscriptions";
  nav.addEventListener("click", (e) => run(e.currentTarget, showSubscriptions));
  document.getElementById("nav-logs").hidden = true; // activity is per subscription
  window.addEventListener("hashchange", () => run(null, showSubscriptions));
  await loadOrgCatalog();
  await run(null, showSubscriptions);
}

start();
