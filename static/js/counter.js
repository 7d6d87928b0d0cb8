// The clerk's screen. Every button posts one action; the screen then follows the server
// (the change event, or a snapshot), never its own guess.
import { connectLive, trouble, el, fetchJson, formatTime } from "./live.js";

const root = document.getElementById("counter");
const counterId = Number(root.dataset.counterId);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const STATUS = { called: "Đã gọi, chờ công dân đến", serving: "Đang phục vụ" };
const STATE = { open: "Đang mở", paused: "Tạm dừng", closed: "Đóng" };
let current = null;
let timeZone = "Asia/Ho_Chi_Minh";

function message(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
}

async function act(action, body = {}) {
  message("");
  if (current && ["recall", "start", "finish", "no-show", "transfer"].includes(action)) {
    body = { ticket_id: current.id, ...body };
  }
  try {
    await fetchJson(`/api/counters/${counterId}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    live.refresh();
  } catch (error) {
    message(error.status ? error.message : "Không kết nối được máy chủ. Thao tác chưa được thực hiện.");
  }
}

function render(snapshot) {
  timeZone = snapshot.site.timezone;
  const counter = snapshot.counter;
  $("counter-number").textContent = counter.number;
  $("counter-label").textContent = counter.label;
  $("counter-state").textContent = STATE[counter.state] + (counter.pause_reason ? ` (${counter.pause_reason})` : "");
  $("counter-state").className = `state ${counter.state}`;
  current = snapshot.current;
  $("current-number").textContent = current ? current.number : "–";
  $("current-service").textContent = current ? current.service_name_vi : "";
  $("current-status").textContent = current ? STATUS[current.status] || current.status : "";
  updateTimer();
  const select = $("transfer-service");
  select.replaceChildren(
    ...snapshot.transfer_to
      .filter((s) => !current || s.id !== current.service_id)
      .map((s) => el("option", { value: s.id }, s.name_vi)),
  );
  $("waiting-count").textContent = snapshot.waiting.length;
  $("served-today").textContent = counter.served_today;
  $("waiting").replaceChildren(
    ...snapshot.waiting.map((t) =>
      el(
        "tr",
        { "data-ticket": t.id, class: t.priority ? "priority" : "" },
        el("td", {}, el("strong", {}, t.number), t.priority ? " (ưu tiên)" : ""),
        el("td", {}, t.service_name_vi),
        el("td", {}, formatTime(t.queued_at, timeZone)),
        el("td", {}, el("button", { type: "button", onclick: () => act("call", { ticket_id: t.id }) }, "Gọi")),
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
  if (action === "pause") act("pause", { reason: $("pause-reason").value });
  else if (action === "transfer") act("transfer", { service_id: Number($("transfer-service").value) });
  else act(action);
});

const KEYS = { n: "call-next", r: "recall", s: "start", f: "finish" };
document.addEventListener("keydown", (event) => {
  if (event.target.matches("input, select, textarea") || event.ctrlKey || event.altKey || event.metaKey) return;
  const action = KEYS[event.key.toLowerCase()];
  if (action) act(action);
});

const live = connectLive({
  auth: { counter: counterId },
  load: () => fetchJson(`/api/counters/${counterId}`),
  onSnapshot: render,
  onChange: () => live.refresh(),
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
