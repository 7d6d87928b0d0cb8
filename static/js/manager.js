// The managers' live hall: queues, counters and printers of one site, kept live by the
// hall's state that the server pushes after each change. Waits grow without any event,
// so the screen recomputes them every second from when each citizen took their number,
// and raises an alert the moment one passes the service's target; the alert stays until
// nobody waits past the target any more (they were called) or the printer fault clears.
import { connectLive, trouble, failure, el, fetchJson, formatTime, inLanguage, lang, locale, t } from "./live.js";

const root = document.getElementById("hall");
const siteId = Number(root.dataset.siteId);
const timeZone = root.dataset.timezone;
const $ = (id) => document.getElementById(id);

let snapshot = null;
let clockOffset = 0; // server time minus this machine's time, in ms

function now() {
  return Date.now() + clockOffset;
}

function minutesSince(iso) {
  return iso ? Math.max(0, Math.floor((now() - Date.parse(iso)) / 60000)) : 0;
}

function duration(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.floor((now() - Date.parse(iso)) / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

// Who waits past the target, per service: [{service, count, longest}].
export function overdue(services) {
  const result = [];
  for (const service of services) {
    const limit = service.target_minutes;
    const late = service.waiting_since.filter((iso) => minutesSince(iso) >= limit);
    if (late.length) {
      result.push({ service, count: late.length, longest: minutesSince(service.oldest_queued_at) });
    }
  }
  return result;
}

// Services with people waiting and no open counter to call them.
export function unstaffed(services) {
  return services.filter((service) => service.waiting > 0 && service.open_counters === 0);
}

// Counters whose citizen was called long ago and has not come (not yet being served).
export function calledLongAgo(counters, minutes) {
  return counters.filter(
    (counter) => counter.current && counter.current.status === "called" && minutesSince(counter.current.called_at) >= minutes
  );
}

function printerMessage(printer) {
  return (lang === "en" && printer.message_en) || printer.message;
}

function renderAlerts() {
  const items = [];
  for (const { service, count, longest } of overdue(snapshot.services)) {
    items.push(
      el(
        "li",
        { class: "alert", "data-service-id": service.id },
        el("strong", {}, inLanguage(service, "name")),
        `: ${t("overdue", { count, target: service.target_minutes, longest })}`
      )
    );
  }
  for (const service of unstaffed(snapshot.services)) {
    items.push(
      el(
        "li",
        { class: "alert", "data-unstaffed-service-id": service.id },
        el("strong", {}, inLanguage(service, "name")),
        `: ${t("unstaffed", { count: service.waiting })}`
      )
    );
  }
  for (const counter of calledLongAgo(snapshot.counters, snapshot.called_alert_minutes)) {
    items.push(
      el(
        "li",
        { class: "alert", "data-called-counter-id": counter.id },
        el("strong", {}, t("counter", { number: counter.number })),
        `: ${t("called_long_ago", { number: counter.current.number, minutes: minutesSince(counter.current.called_at) })}`
      )
    );
  }
  for (const printer of snapshot.printers.filter((p) => p.fault)) {
    items.push(
      el(
        "li",
        { class: "alert", "data-printer-id": printer.device_id },
        el("strong", {}, t("printer", { name: printer.name })),
        `: ${printerMessage(printer)}.`
      )
    );
  }
  $("alerts").replaceChildren(...items);
  $("no-alerts").hidden = items.length > 0;
}

function renderQueues() {
  const late = new Set(overdue(snapshot.services).map((o) => o.service.id));
  $("queues").replaceChildren(
    ...snapshot.services.map((service) =>
      el(
        "tr",
        { class: late.has(service.id) ? "late" : null, "data-service-id": service.id },
        el("th", { scope: "row" }, inLanguage(service, "name")),
        el("td", { class: "num waiting" }, service.waiting),
        el("td", { class: "num" }, service.oldest_queued_at ? t("minutes", { n: minutesSince(service.oldest_queued_at) }) : "–"),
        el("td", { class: "num" }, t("minutes", { n: service.target_minutes }))
      )
    )
  );
}

function renderCounters() {
  $("counters").replaceChildren(
    ...snapshot.counters.map((counter) => {
      const state = t(`state_${counter.state}`);
      const reason = counter.state === "paused" && counter.pause_reason ? ` – ${counter.pause_reason}` : "";
      const current = counter.current;
      const since = current ? current.started_at || current.called_at : counter.state_changed_at;
      return el(
        "tr",
        { "data-counter-id": counter.id, class: `state-${counter.state}` },
        el("th", { scope: "row" }, `${counter.number}`, counter.label ? el("small", {}, ` ${counter.label}`) : null),
        el("td", { class: "state" }, `${state}${reason}`),
        el("td", {}, counter.clerk || "–"),
        el("td", { class: "ticket" }, current ? `${current.number} · ${t(`status_${current.status}`)}` : "–"),
        el("td", { class: "num" }, since ? duration(since) : "")
      );
    })
  );
}

function renderPrinters() {
  const rows = snapshot.printers.map((printer) =>
    el(
      "tr",
      { class: printer.fault ? "late" : null },
      el("th", { scope: "row" }, printer.name),
      el("td", {}, printerMessage(printer)),
      el("td", {}, printer.since ? t("since", { time: formatTime(printer.since, timeZone) }) : "")
    )
  );
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "3", class: "hint" }, t("no_printer"))));
  $("printers").replaceChildren(...rows);
}

function renderTotals() {
  const today = snapshot.today;
  $("today-issued").textContent = today.issued.toLocaleString(locale);
  $("today-served").textContent = today.served.toLocaleString(locale);
  $("today-wait").textContent =
    today.mean_wait_seconds === null ? "–" : t("minutes", { n: (today.mean_wait_seconds / 60).toLocaleString(locale, { maximumFractionDigits: 1 }) });
}

function render() {
  if (!snapshot) return;
  renderTotals();
  renderAlerts();
  renderQueues();
  renderCounters();
  renderPrinters();
  $("clock").textContent = new Date(now()).toLocaleTimeString(locale, { timeZone });
}

// The hall's snapshot on connect, then the hall's state as the server pushes it (once per
// burst of changes: a busy hall costs no request).
connectLive({
  auth: { manager: siteId },
  load: () => fetchJson(`/api/sites/${siteId}/overview`),
  onSnapshot: (data) => {
    snapshot = data;
    clockOffset = Date.parse(data.now) - Date.now();
    render();
  },
  onStatus: (ok, error) => {
    $("connection").textContent = ok ? t("live") : trouble(error);
    $("connection").className = ok ? "status ok" : "status bad";
  },
});

// The board's notice line: saved at once, shown on the board by the change it makes.
const csrf = document.querySelector('meta[name="csrf-token"]').content;
$("notice-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("notice-status").textContent = "";
  try {
    const saved = await fetchJson(`/api/sites/${siteId}/notice`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ notice: $("notice").value }),
    });
    $("notice").value = saved.notice;
    $("notice-status").textContent = t("saved");
  } catch (error) {
    $("notice-status").textContent = failure(error);
  }
});

setInterval(render, 1000);
