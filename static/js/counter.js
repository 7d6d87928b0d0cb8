// The clerk's screen. Every button posts one action; the screen then follows the server
// (the state it pushes, or a snapshot), never its own guess. A refused action is explained,
// a done one confirmed in a line that fades by itself.
import { connectLive, trouble, failure, el, fetchJson, formatTime, inLanguage, refusalText, t } from "./live.js";

const root = document.getElementById("counter");
const counterId = Number(root.dataset.counterId);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const TICKET_ACTIONS = ["recall", "start", "finish", "no-show", "transfer"];
const DONE_SECONDS = 4;
let current = null;
let timeZone = "Asia/Ho_Chi_Minh";
let doneTimer = null;
// The server's clock minus this screen's: minutes waited are the server's minutes.
let clockOffset = 0;

function message(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
}

function done(text) {
  clearTimeout(doneTimer);
  $("done-message").textContent = text;
  $("done-message").hidden = !text;
  if (text) doneTimer = setTimeout(() => done(""), DONE_SECONDS * 1000);
}

function doneText(action, result) {
  const key = action === "call-next" ? "done_call" : `done_${action.replace("-", "_")}`;
  const service = $("transfer-service").selectedOptions[0];
  return t(key, {
    number: result && result.number,
    service: action === "transfer" && service ? service.textContent : "",
  });
}

async function act(action, body = {}) {
  message("");
  done("");
  // The ticket on screen: the server refuses if it is no longer the counter's current one.
  if (current && TICKET_ACTIONS.includes(action)) body = { ticket_id: current.id, ...body };
  try {
    const answer = await fetchJson(`/api/counters/${counterId}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    done(doneText(action, answer.result));
    if (action === "transfer") $("transfer-note").value = "";
    live.refresh();
  } catch (error) {
    message(failure(error, t("not_done")));
  }
}

// Where a transferred ticket came from, and the transferring clerk's note.
function transferText(from) {
  if (!from) return "";
  const service = inLanguage(from, "service_name");
  const origin = from.counter_number
    ? t("transferred_from", { service, counter: from.counter_number })
    : t("transferred_from_service", { service });
  return from.note ? `${origin}: “${from.note}”` : origin;
}

function waitedCell(ticket) {
  return el("td", { class: "waited", "data-since": ticket.queued_at }, waitedText(ticket.queued_at));
}

function waitedText(since) {
  const minutes = Math.max(0, Math.floor((Date.now() + clockOffset - Date.parse(since)) / 60_000));
  return t("minutes", { n: minutes });
}

function renderPrinters(printers) {
  const select = $("print-kiosk");
  const chosen = select.value;
  // The kiosk that issued the ticket on screen, if it has a printer; else the clerk's choice.
  const own = current && printers.some((p) => p.id === current.device_id) ? String(current.device_id) : chosen;
  select.replaceChildren(
    ...(printers.length
      ? printers.map((p) => el("option", { value: p.id, selected: String(p.id) === own }, p.name))
      : [el("option", { value: "" }, t("no_printer"))]),
  );
  select.disabled = !printers.length;
  for (const button of document.querySelectorAll("button[data-print]")) {
    const kind = button.dataset.print;
    button.disabled = (kind !== "test" && !current) || (kind !== "preview" && !printers.length);
  }
}

function render(snapshot) {
  timeZone = snapshot.site.timezone;
  clockOffset = Date.parse(snapshot.now) - Date.now() || 0;
  const counter = snapshot.counter;
  $("counter-number").textContent = counter.number;
  $("counter-label").textContent = counter.label;
  $("counter-state").textContent = t(`state_${counter.state}`) + (counter.pause_reason ? ` (${counter.pause_reason})` : "");
  $("counter-state").className = `state ${counter.state}`;
  current = snapshot.current;
  $("current-number").textContent = current ? current.number : "–";
  $("current-service").textContent = current ? inLanguage(current, "service_name") : "";
  $("current-status").textContent = current ? t(`status_${current.status}`) : "";
  const priority = current && inLanguage(current, "priority_name");
  $("current-priority").textContent = priority ? t("priority_named", { name: priority }) : "";
  $("current-priority").hidden = !priority;
  $("current-transfer").textContent = transferText(current && current.transferred_from);
  $("current-transfer").hidden = !(current && current.transferred_from);
  updateTimer();
  renderPrinters(snapshot.printers);
  const select = $("transfer-service");
  const chosen = select.value;
  select.replaceChildren(
    ...snapshot.transfer_to
      .filter((s) => !current || s.id !== current.service_id)
      .map((s) => el("option", { value: s.id, selected: String(s.id) === chosen }, inLanguage(s, "name"))),
  );
  $("waiting-count").textContent = snapshot.waiting_count;
  $("served-today").textContent = counter.served_today;
  $("waiting").replaceChildren(
    ...snapshot.waiting.map((ticket) =>
      el(
        "tr",
        { "data-ticket": ticket.id, class: ticket.priority ? "priority" : "" },
        el(
          "td",
          {},
          el("strong", {}, ticket.number),
          ticket.priority ? el("span", { class: "priority-name" }, inLanguage(ticket, "priority_name") || t("priority")) : "",
        ),
        el(
          "td",
          {},
          inLanguage(ticket, "service_name"),
          ticket.transferred_from ? el("span", { class: "transfer-note" }, transferText(ticket.transferred_from)) : "",
        ),
        el("td", {}, formatTime(ticket.queued_at, timeZone)),
        waitedCell(ticket),
        el(
          "td",
          {},
          el(
            "button",
            { type: "button", "aria-label": t("call_number", { number: ticket.number }), onclick: () => act("call", { ticket_id: ticket.id }) },
            t("call"),
          ),
        ),
      ),
    ),
  );
  // The list holds the next ones in call order; the rest are counted, not listed.
  const more = snapshot.waiting_count - snapshot.waiting.length;
  if (more > 0) {
    $("waiting").append(el("tr", { class: "more" }, el("td", { colspan: 5 }, t("more_waiting", { n: more }))));
  }
}

function updateWaited() {
  for (const cell of document.querySelectorAll("#waiting td.waited")) {
    const text = waitedText(cell.dataset.since);
    if (cell.textContent !== text) cell.textContent = text;
  }
}

function updateTimer() {
  updateWaited();
  const since = current && (current.started_at || current.called_at);
  if (!since) {
    $("current-timer").textContent = "";
    return;
  }
  const seconds = Math.max(0, Math.floor((Date.now() + clockOffset - Date.parse(since)) / 1000));
  $("current-timer").textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
setInterval(updateTimer, 1000);

root.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const action = button.dataset.action;
  if (action === "pause") act("pause", { reason: $("pause-reason").value.trim() });
  else if (action === "transfer") {
    const note = $("transfer-note").value.trim();
    act("transfer", { service_id: Number($("transfer-service").value), ...(note ? { note } : {}) });
  } else act(action);
});

// -- the paper: preview, reprint, test print ------------------------------------------------

function showPreview() {
  if (!current) return;
  $("preview-number").textContent = current.number;
  $("preview-image").src = `/api/printing/tickets/${current.id}/preview.png`;
  $("preview").showModal();
}

async function print(kind) {
  message("");
  done("");
  const select = $("print-kiosk");
  const kiosk = select.selectedOptions[0] ? select.selectedOptions[0].textContent : "";
  const number = current ? current.number : "";
  const url =
    kind === "test" ? `/api/printing/devices/${select.value}/test` : `/api/printing/tickets/${current && current.id}/reprint`;
  try {
    const answer = await fetchJson(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(kind === "test" ? {} : { device_id: Number(select.value) }),
    });
    const outcome = answer.printing;
    if (outcome.status === "failed") {
      message(t("print_failed", { kiosk, reason: refusalText(outcome) || t("not_done") }));
    } else {
      done(t(`${outcome.status === "printed" ? "done" : "sent"}_${kind}`, { number, kiosk }));
    }
  } catch (error) {
    message(failure(error, t("not_done")));
  }
}

root.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-print]");
  if (!button) return;
  if (button.dataset.print === "preview") showPreview();
  else print(button.dataset.print);
});
$("preview-close").addEventListener("click", () => $("preview").close());

const KEYS = { n: "call-next", r: "recall", s: "start", f: "finish", v: "no-show" };
document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, select, textarea") || event.ctrlKey || event.altKey || event.metaKey) return;
  const action = KEYS[event.key.toLowerCase()];
  if (action && !event.repeat) act(action);
});

window.xephangCounter = { act };

// The counter's snapshot on connect, then its state as the server pushes it. The server
// sends it after a change of this counter or of a service it calls, or of the whole site.
let serves = new Set();
const live = connectLive({
  auth: { counter: counterId },
  load: () => fetchJson(`/api/counters/${counterId}`),
  onSnapshot: (snapshot) => {
    serves = new Set(snapshot.counter.services.map((s) => s.id));
    render(snapshot);
  },
  concerns: (change) =>
    change.counter_id === counterId ||
    change.service_ids.some((id) => serves.has(id)) ||
    (change.counter_id === null && !change.service_ids.length),
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
