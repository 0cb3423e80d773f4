// The endpoint-health views of the portal (issue 19's API): a badge per
// endpoint, its Health view (state, stats, recent changes) and the
// actions there (disable, enable, recover with its progress). portal.js
// hands in its helpers, so this file holds no state of its own beyond
// the view on screen.
//
// An endpoint here is { base, unwrap, title, back }: base its API path
// (a public webhook's or an organization subscription's), unwrap reads
// an answer (the public API wraps it in {"data": ...}, the ECG API does
// not), title names it, back returns to the list.

const STATES = {
  closed: "Healthy (circuit closed)",
  open: "Failing (circuit open)",
  half_open: "Probing (half-open)",
  disabled: "Disabled",
};
const CHANGES = {
  circuit_opened: "Circuit opened",
  circuit_closed: "Circuit closed",
  failing: "Failing",
  disabled: "Disabled",
  enabled: "Enabled",
};
const POLL_MS = 500;
const POLL_LIMIT = 240; // two minutes: a recovery pages 20 deliveries at a time

export function healthViews({ api, h, run, say, render, when, fact, clearMessages, eventCodes }) {
  // badge shows an endpoint's state in words (the color only repeats it).
  function badge(state) {
    return h("span", { class: `badge state-${state || "unknown"}` }, STATES[state] || "Health unknown");
  }

  // loadBadges fills the list's badges a few at a time, so that a long
  // list does not spend the API's rate limit at once.
  async function loadBadges(items) {
    const queue = [...items];
    const worker = async () => {
      for (let it = queue.shift(); it; it = queue.shift()) {
        let state;
        try { state = it.ep.unwrap(await api("GET", `${it.ep.base}/health`)).state; } catch { state = undefined; }
        if (it.slot.isConnected) it.slot.replaceChildren(badge(state));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  // badgeSlot is the list card's place for the badge, loading at first.
  function badgeSlot() {
    return h("span", { class: "health-slot" }, h("span", { class: "badge state-unknown" }, "Health: loading…"));
  }

  const percent = (rate) => (rate == null ? "—" : `${(rate * 100).toFixed(1)} %`);

  function statsTable(stats) {
    const rows = [["Last hour", stats.lastHour], ["Last day", stats.lastDay]];
    const results = ["2xx", "3xx", "4xx", "5xx", "timeout", "error"];
    return h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "health-stats" },
      h("thead", {}, h("tr", {}, ["Period", "Attempts", "Succeeded", "Failed", "Success rate", ...results].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map(([name, s]) => h("tr", {},
        h("td", { "data-label": "Period" }, name),
        h("td", { "data-label": "Attempts" }, String(s.attempts)),
        h("td", { "data-label": "Succeeded" }, String(s.succeeded)),
        h("td", { "data-label": "Failed" }, String(s.failed)),
        h("td", { "data-label": "Success rate" }, percent(s.successRate)),
        results.map((r) => h("td", { "data-label": r }, String(s.byResult?.[r] ?? 0))))))));
  }

  function changesTable(changes) {
    if (!changes || changes.length === 0) return h("p", { class: "empty", id: "health-changes" }, "No state changes yet.");
    return h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "health-changes" },
      h("thead", {}, h("tr", {}, ["Time", "Change", "Reason", "By"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, changes.map((c) => h("tr", {},
        h("td", { "data-label": "Time" }, when(c.createdAt)),
        h("td", { "data-label": "Change" }, CHANGES[c.kind] || c.kind),
        h("td", { "data-label": "Reason" }, c.reason || (c.threshold != null ? `${c.threshold} % of the disable window` : "—")),
        h("td", { "data-label": "By" }, c.actor === "hookflow" ? "Hookflow (automatic)" : c.actor))))));
  }

  // isoOf reads a datetime-local value (the browser's zone) as RFC 3339.
  const isoOf = (v) => (v ? new Date(v).toISOString() : undefined);
  // localOf writes a time as a datetime-local value in the browser's zone.
  function localOf(date) {
    const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 16);
  }

  // newKey is an Idempotency-Key: one per form submission, so that a
  // second press of the same form answers the same recovery.
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // keyed keeps a form's key until one of its inputs changes.
  function keyed(form) {
    let key = newKey();
    form.addEventListener("input", () => { key = newKey(); });
    return () => key;
  }

  // showHealth draws an endpoint's Health view.
  async function showHealth(ep, recovery) {
    render(h("p", { class: "loading" }, "Loading health…"));
    const health = ep.unwrap(await api("GET", `${ep.base}/health`));
    const disabled = health.state === "disabled";
    const progress = h("section", { id: "recovery", "aria-live": "polite" });
    render(
      h("div", { class: "actions" }, h("button", { type: "button", onclick: () => run(null, ep.back) }, "← Back")),
      h("h2", {}, `Health of ${ep.title}`),
      h("div", { class: "card" }, h("dl", { class: "facts", id: "health-facts" },
        fact("State", h("span", { id: "health-state" }, badge(health.state))),
        fact("Consecutive failures", String(health.consecutiveFailures)),
        fact("Failing since", when(health.failingSince)),
        health.state === "open" || health.state === "half_open" ? fact("Circuit opened", when(health.openedAt)) : null,
        fact("Next probe", health.nextProbeAt ? when(health.nextProbeAt) : "None scheduled"),
        disabled ? fact("Disabled", when(health.disabledAt)) : null,
        disabled ? fact("Disabled because", h("span", { id: "health-reason" }, health.disabledReason || "—")) : null,
        fact("Last success", when(health.lastSuccessAt)),
        fact("Last failure", when(health.lastFailureAt)),
        fact("Rate limit", health.rateLimit ? `${health.rateLimit} deliveries a second` : "Unlimited"))),
      progress,
      h("h2", {}, "Attempts"),
      statsTable(health.stats),
      h("h2", {}, "Recent changes"),
      changesTable(health.changes),
      disabled ? enableForm(ep) : disableForm(ep),
      recoverForm(ep));
    if (recovery) await follow(ep, recovery, progress);
  }

  function disableForm(ep) {
    const reason = h("input", { type: "text", id: "disable-reason", maxlength: "500", placeholder: "e.g. receiver under maintenance" });
    const go = h("button", { type: "submit", class: "danger", id: "disable" }, "Disable endpoint");
    const form = h("form", { class: "panel", id: "disable-form", novalidate: true },
      h("h2", {}, "Disable"),
      h("p", { class: "meta" }, "A disabled endpoint receives nothing: its pending deliveries end as failed with the reason below."),
      h("div", { class: "field" }, h("label", { for: "disable-reason" }, "Reason (optional)"), reason),
      h("div", { class: "actions" }, go));
    form.addEventListener("input", () => { delete go.dataset.armed; go.textContent = "Disable endpoint"; });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(go, async () => {
        // Two steps instead of a blocking dialog: the first press asks.
        if (go.dataset.armed !== "yes") {
          go.dataset.armed = "yes";
          go.textContent = "Press again to disable";
          return;
        }
        const text = reason.value.trim();
        await api("POST", `${ep.base}/disable`, text ? { reason: text } : {});
        await showHealth(ep);
        say("Endpoint disabled.");
      });
    });
    return form;
  }

  function enableForm(ep) {
    const withRecover = h("input", { type: "checkbox", id: "enable-recover" });
    const since = h("input", { type: "datetime-local", id: "enable-since", value: localOf(new Date(Date.now() - 24 * 3600 * 1000)) });
    const go = h("button", { type: "submit", class: "primary", id: "enable" }, "Enable endpoint");
    const form = h("form", { class: "panel", id: "enable-form", novalidate: true },
      h("h2", {}, "Enable"),
      h("label", {}, withRecover, " and recover failed deliveries since"),
      h("div", { class: "field" }, h("label", { for: "enable-since" }, "Since"), since),
      h("div", { class: "actions" }, go));
    const key = keyed(form);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(go, async () => {
        const body = withRecover.checked ? { recover: { since: isoOf(since.value) } } : {};
        const health = ep.unwrap(await api("POST", `${ep.base}/enable`, body, undefined, withRecover.checked ? { "Idempotency-Key": key() } : {}));
        say(health.recovery ? `Endpoint enabled; recovering ${health.recovery.found} deliveries.` : "Endpoint enabled.");
        await showHealth(ep, health.recovery);
      });
    });
    return form;
  }

  function recoverForm(ep) {
    const since = h("input", { type: "datetime-local", id: "recover-since", required: true, value: localOf(new Date(Date.now() - 24 * 3600 * 1000)) });
    const until = h("input", { type: "datetime-local", id: "recover-until" });
    const codes = eventCodes();
    const eventType = codes.length > 0
      ? h("select", { id: "recover-event" }, h("option", { value: "" }, "Every event"), codes.map((c) => h("option", { value: c }, c)))
      : h("input", { type: "text", id: "recover-event", placeholder: "every event" });
    const status = h("select", { id: "recover-status" },
      h("option", { value: "" }, "Failed and retrying"), h("option", { value: "failed" }, "Failed"), h("option", { value: "retrying" }, "Retrying"));
    const go = h("button", { type: "submit", class: "primary", id: "recover" }, "Recover");
    const form = h("form", { class: "panel filters", id: "recover-form", novalidate: true },
      h("h2", { class: "wide" }, "Recover failed deliveries"),
      h("div", { class: "field" }, h("label", { for: "recover-since" }, "Since"), since),
      h("div", { class: "field" }, h("label", { for: "recover-until" }, "Until (optional, now when empty)"), until),
      h("div", { class: "field" }, h("label", { for: "recover-event" }, "Event type"), eventType),
      h("div", { class: "field" }, h("label", { for: "recover-status" }, "Status"), status),
      h("div", {}, go));
    const key = keyed(form);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(go, async () => {
        const body = { since: isoOf(since.value) };
        if (until.value) body.until = isoOf(until.value);
        if (eventType.value.trim()) body.eventType = eventType.value.trim();
        if (status.value) body.status = status.value;
        const recovery = ep.unwrap(await api("POST", `${ep.base}/recover`, body, undefined, { "Idempotency-Key": key() }));
        await showHealth(ep, recovery);
      });
    });
    return form;
  }

  function progressCard(r) {
    return h("div", { class: "card" }, h("h2", {}, "Recovery"),
      h("dl", { class: "facts", id: "recovery-facts" },
        fact("State", h("span", { id: "recovery-state", class: `status-${r.state === "completed" ? "success" : r.state === "failed" ? "failure" : "pending"}` }, r.state)),
        fact("Window", `${when(r.since)} – ${when(r.until)}`),
        fact("Found", h("span", { id: "recovery-found" }, String(r.found))),
        fact("Re-driven (failed, one new attempt each)", h("span", { id: "recovery-redriven" }, String(r.redriven))),
        fact("Woken (waiting, attempted now)", h("span", { id: "recovery-woken" }, String(r.woken))),
        fact("Skipped", h("span", { id: "recovery-skipped" }, String(r.skipped))),
        r.errors ? fact("Errors", String(r.errors)) : null,
        r.failureReason ? fact("Failed because", r.failureReason) : null,
        r.completedAt ? fact("Completed", when(r.completedAt)) : null));
  }

  // follow shows a recovery's progress, reading it until it ends (or the
  // view is left).
  async function follow(ep, recovery, box) {
    let r = recovery;
    for (let i = 0; ; i++) {
      if (!box.isConnected) return;
      box.replaceChildren(progressCard(r));
      if (r.state === "completed" || r.state === "failed" || i >= POLL_LIMIT) break;
      await new Promise((ok) => setTimeout(ok, POLL_MS));
      r = ep.unwrap(await api("GET", `${ep.base}/recoveries/${encodeURIComponent(r.id)}`));
    }
    if (r.state === "completed") say(`Recovery completed: ${r.redriven} re-driven, ${r.woken} woken, ${r.skipped} skipped.`);
    else if (r.state === "failed") say("The recovery failed: see its reason above.");
  }

  return { badgeSlot, loadBadges, showHealth: (ep) => { clearMessages(); return showHealth(ep); } };
}
