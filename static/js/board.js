// The waiting-room board. Calls are queued as announcements, one after another, so two
// clerks calling in the same second give two announcements in order, none lost.
import { connectLive, trouble, el, fetchJson, formatTime } from "./live.js";

const root = document.getElementById("board");
const token = root.dataset.device || localStorage.getItem("xephang.board.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.board.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const $ = (id) => document.getElementById(id);
let timeZone = "Asia/Ho_Chi_Minh";

// Inspected by tests and, later, spoken by the voice: every call the board has heard.
const announcements = [];
window.xephangBoard = { announcements };

function announce(number, counterNumber) {
  const text = root.dataset.announceVi.replace("{number}", number).replace("{counter}", counterNumber);
  announcements.push({ number, counter: counterNumber, text, at: Date.now() });
  $("latest-number").textContent = number;
  $("latest-counter").textContent = counterNumber;
  root.classList.remove("flash");
  void root.offsetWidth; // restart the highlight animation
  root.classList.add("flash");
}

function render(snapshot) {
  timeZone = snapshot.site.timezone;
  $("site-name").textContent = snapshot.site.name;
  $("counters").replaceChildren(
    ...snapshot.counters.map((c) =>
      el(
        "tr",
        { "data-counter": c.number, class: c.state },
        el("td", { class: "counter-number" }, c.number),
        el("td", { class: "current" }, c.current ? c.current.number : c.state === "open" ? "–" : stateText(c)),
      ),
    ),
  );
  $("recent").replaceChildren(
    ...snapshot.recent_calls.map((call, index) =>
      el(
        "li",
        { class: index === 0 ? "newest" : "" },
        el("strong", {}, call.number),
        ` → quầy ${call.counter_number}`,
        el("span", { class: "hint" }, ` ${formatTime(call.at, timeZone)}`),
      ),
    ),
  );
  if (snapshot.recent_calls.length && $("latest-number").textContent === "–") {
    $("latest-number").textContent = snapshot.recent_calls[0].number;
    $("latest-counter").textContent = snapshot.recent_calls[0].counter_number;
  }
  $("waiting").replaceChildren(
    ...snapshot.services.map((s) =>
      el("li", { "data-service": s.id }, el("span", {}, s.name_vi), el("strong", { class: "count" }, s.waiting)),
    ),
  );
}

function stateText(counter) {
  return counter.state === "paused" ? "Tạm dừng" : "Đóng";
}

function tick() {
  $("clock").textContent = new Date().toLocaleString("vi-VN", {
    weekday: "long", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone,
  });
}
setInterval(tick, 1000);
tick();

const live = connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/board/snapshot", { headers }),
  onSnapshot: render,
  onChange: (change) => {
    if (change.kind === "ticket_called" || change.kind === "ticket_recalled") {
      announce(change.ticket.number, change.counter.number);
    }
    live.refresh();
  },
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
