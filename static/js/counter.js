// The clerk's screen. Every button posts one action; the screen then follows the server
// (the change event, or a snapshot), never its own guess. A refused action is explained,
// a done one confirmed in a line that fades by itself.
import { connectLive, trouble, failure, el, fetchJson, formatTime, inLanguage, t } from "./live.js";

const root = document.getElementById("counter");
const counterId = Number(root.dataset.counterId);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const TICKET_ACTIONS = ["recall", "start", "finish", "no-show", "transfer"];
const DONE_SECONDS = 4;
let current = null;
let timeZone = "Asia/Ho_Chi_Minh";
let doneTimer = null;

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
    live.refresh();
  } catch (error) {
    message(failure(error, t("not_done")));
  }
}

function render(snapshot) {
  timeZone = snapshot.site.timezone;
  const counter = snapshot.counter;
  $("counter-number").textContent = counter.number;
  $("counter-label").textContent = counter.label;
  $("counter-state").textContent = t(`state_${counter.state}`) + (counter.pause_reason ? ` (${counter.pause_reason})` : "");
  $("counter-state").className = `state ${counter.state}`;
  current = snapshot.current;
  $("current-number").textContent = current ? current.number : "–";
  $("current-service").textContent = current ? inLanguage(current, "service_name") : "";
  $("current-status").textContent = current ? t(`status_${current.status}`) : "";
  updateTimer();
  const select = $("transfer-service");
  const chosen = select.value;
  select.replaceChildren(
    ...snapshot.transfer_to
      .filter((s) => !current || s.id !== current.service_id)
      .map((s) => el("option", { value: s.id, selected: String(s.id) === chosen }, inLanguage(s, "name"))),
  );
  $("waiting-count").textContent = snapshot.waiting.length;
  $("served-today").textContent = counter.served_today;
  $("waiting").replaceChildren(
    ...snapshot.waiting.map((ticket) =>
      el(
        "tr",
        { "data-ticket": ticket.id, class: ticket.priority ? "priority" : "" },
        el("td", {}, el("strong", {}, ticket.number), ticket.priority ? ` ${t("priority")}` : ""),
        el("td", {}, inLanguage(ticket, "service_name")),
        el("td", {}, formatTime(ticket.queued_at, timeZone)),
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
}

function updateTimer() {
  const since = current && (current.started_at || current.called_at);
  if (!since) {
    $("current-timer").textContent = "";
    return;
  }
  const seconds = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / 1000));
  $("current-timer").textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
setInterval(updateTimer, 1000);

root.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const action = button.dataset.action;
  if (action === "pause") act("pause", { reason: $("pause-reason").value.trim() });
  else if (action === "transfer") act("transfer", { service_id: Number($("transfer-service").value) });
  else act(action);
});

const KEYS = { n: "call-next", r: "recall", s: "start", f: "finish", v: "no-show" };
document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, select, textarea") || event.ctrlKey || event.altKey || event.metaKey) return;
  const action = KEYS[event.key.toLowerCase()];
  if (action && !event.repeat) act(action);
});

window.xephangCounter = { act };

const live = connectLive({
  auth: { counter: counterId },
  load: () => fetchJson(`/api/counters/${counterId}`),
  onSnapshot: render,
  onChange: () => live.refresh(),
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
