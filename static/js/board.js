// The waiting-room board. Every pending call is shown at once, as a card, the moment the
// snapshot has it; the voice reads the calls one after another (two clerks calling in the
// same second give two announcements in order, none lost) but the cards never wait for it.
// A card follows the ticket's live state: it leaves once the citizen is served elsewhere,
// finished, absent or transferred, and a call whose ticket is no longer called by the time
// its turn to be spoken comes is not spoken at all.
import { connectLive, trouble, el, fetchJson, formatTime, inLanguage, locale, t } from "./live.js";
import { sayWait, waitKind, waitOf } from "./waits.js";

const root = document.getElementById("board");
const token = root.dataset.device || localStorage.getItem("xephang.board.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.board.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const $ = (id) => document.getElementById(id);
let timeZone = "Asia/Ho_Chi_Minh";

// Inspected by tests: every call the board has heard, every announcement it has spoken
// ({number, counter, recall, clips, start, end, seconds}; times from Date.now()), and the
// calls it dropped unspoken because their ticket had moved on.
const announcements = [];
const spoken = [];
const dropped = [];
window.xephangBoard = { announcements, spoken, dropped };
let calledNow = new Set(); // ids of the tickets called (not yet served) in the latest snapshot

// -- which calls to announce -------------------------------------------------------------
// Calls are read from the recent calls of each snapshot or state, not from the change
// messages: one state may hold several calls (a burst is published at once), a snapshot
// fetched after a gap holds every call missed, and calls made while the board was
// disconnected arrive in no message at all. A call not in the previous state is new.
let heard = null; // keys of the previous state's calls; null before the first snapshot

function callKey(call) {
  return `${call.ticket_id}|${call.at}|${call.recall}`;
}

function hear(recentCalls) {
  if (heard !== null) {
    // Newest first in the snapshot: announce the oldest first.
    recentCalls.filter((call) => !heard.has(callKey(call))).reverse().forEach(announce);
  } else {
    recentCalls.forEach((call) => call.clips.forEach(loadClip)); // the usual clips, ready
  }
  heard = new Set(recentCalls.map(callKey));
}

const queue = []; // calls waiting for their turn to be shown and spoken
let speaking = false;

function announce(call) {
  const number = call.number;
  const counterNumber = call.counter_number;
  const text = root.dataset.announceVi.replace("{number}", number).replace("{counter}", counterNumber);
  const entry = {
    ticketId: call.ticket_id, number, counter: counterNumber, text, recall: call.recall, clips: call.clips, at: Date.now(),
  };
  announcements.push(entry);
  queue.push(entry);
  entry.clips.forEach(loadClip); // while the announcement before it plays
  if (!speaking) announceQueued();
}

async function announceQueued() {
  speaking = true;
  while (queue.length) {
    const call = queue.shift();
    if (calledNow.has(call.ticketId)) await speak(call);
    else dropped.push({ number: call.number, counter: call.counter, recall: call.recall });
  }
  speaking = false;
}

// -- the voice -----------------------------------------------------------------------------
// Clips from /voice/<name>.wav (built by `xephang voice build`, or the centre's own), put
// together with Web Audio: scheduled back to back on the audio clock, without the gaps that
// starting one <audio> after another would leave between the digits.
const CHIME = "chime"; // server/domain/announce.py's CHIME
const repeat = Math.max(0, Number.parseInt(root.dataset.announceRepeat, 10) || 0);
const AFTER_CHIME = 0.3; // seconds
const BETWEEN_REPEATS = 0.8;
const BETWEEN_CALLS_MS = 700;
const RETRY_MS = 60_000; // a missing clip is asked for again after a minute, not every call

let context = null;
const clips = new Map(); // name -> {buffer: Promise<AudioBuffer>, failed: time or 0}
const warned = new Set();

function audio() {
  context = context || new AudioContext();
  return context;
}
// Where Chromium was started without --autoplay-policy=no-user-gesture-required, sound is
// blocked until someone touches the screen.
document.addEventListener("pointerdown", () => context && context.resume());

function warnOnce(what, message) {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(message);
}

function loadClip(name) {
  const known = clips.get(name);
  if (known && !(known.failed && Date.now() - known.failed > RETRY_MS)) return known.buffer;
  const entry = { failed: 0 };
  entry.buffer = fetch(`/voice/${name}.wav`)
    .then((response) => {
      if (!response.ok) throw new Error(`${name}.wav: HTTP ${response.status}`);
      return response.arrayBuffer();
    })
    .then((data) => audio().decodeAudioData(data))
    .catch((error) => {
      entry.failed = Date.now();
      throw error;
    });
  entry.buffer.catch(() => {}); // preloading: the announcement that needs it reports it
  clips.set(name, entry);
  return entry.buffer;
}

async function soundOn() {
  const ctx = audio();
  if (ctx.state !== "running") await Promise.race([ctx.resume(), sleep(500)]);
  return ctx.state === "running";
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Plays the chime (not before a recall: the hall has just heard it), then the call `repeat`
// times; resolves once the sound has ended. A call without its clips, or with sound
// blocked, is only shown: the board never stops for it.
async function speak(call) {
  if (repeat === 0 || !call.clips.length) return;
  const plan = call.recall ? [] : [{ name: CHIME, pause: AFTER_CHIME }];
  for (let i = 0; i < repeat; i += 1) {
    call.clips.forEach((name, n) => plan.push({ name, pause: n === call.clips.length - 1 ? BETWEEN_REPEATS : 0 }));
  }
  let buffers;
  try {
    buffers = await Promise.all(plan.map((part) => loadClip(part.name)));
  } catch (error) {
    warnOnce("missing", `Giọng đọc tắt: thiếu tệp âm thanh (${error.message}); chạy "xephang voice build". ` +
      "Voice off: clips missing; run `xephang voice build`. Calls are still shown.");
    return;
  }
  if (!(await soundOn())) {
    warnOnce("blocked", "Giọng đọc bị trình duyệt chặn: chạm vào màn hình, hoặc mở Chromium với " +
      "--autoplay-policy=no-user-gesture-required. Sound blocked by the browser's autoplay policy.");
    return;
  }
  const ctx = audio();
  const start = Date.now();
  const first = ctx.currentTime + 0.05;
  let at = first;
  let last = null;
  plan.forEach((part, i) => {
    last = ctx.createBufferSource();
    last.buffer = buffers[i];
    last.connect(ctx.destination);
    last.start(at);
    at += buffers[i].duration + (i < plan.length - 1 ? part.pause : 0);
  });
  const seconds = at - first;
  await new Promise((resolve) => {
    last.onended = resolve;
    setTimeout(resolve, (at - ctx.currentTime) * 1000 + 2000); // should the audio device stall
  });
  spoken.push({
    number: call.number, counter: call.counter, recall: call.recall,
    clips: plan.map((part) => part.name), start, end: Date.now(), seconds,
  });
  await sleep(BETWEEN_CALLS_MS);
}

// Recent calls shown under the cards: as many as read well from the back of the hall.
const RECENT_SHOWN = 6;
const FLASH_MS = 3600; // the card's highlight animation (3 x 1.2 s)
const firstSeen = new Map(); // call key -> when its card first appeared

// The cards of the big box: every ticket called and not yet served, newest call first. With
// none, the latest call whose citizen is now being served ("at counter N"); a finished,
// absent or transferred ticket is never shown as called.
function pendingCalls(snapshot) {
  const current = snapshot.counters
    .filter((c) => c.current && ["called", "serving"].includes(c.current.status))
    .map((c) => ({ ticketId: c.current.id, number: c.current.number, counter: c.number, status: c.current.status, at: c.current.called_at || "" }));
  // In the server's order of the calls (its recent calls, newest first), the voice's order.
  const order = new Map();
  snapshot.recent_calls.forEach((call, index) => order.has(call.ticket_id) || order.set(call.ticket_id, index));
  const rank = (c) => (order.has(c.ticketId) ? order.get(c.ticketId) : Number.MAX_SAFE_INTEGER);
  const called = current
    .filter((c) => c.status === "called")
    .sort((a, b) => rank(a) - rank(b) || b.at.localeCompare(a.at));
  if (called.length) return called;
  const latest = snapshot.recent_calls.find((call) => current.some((c) => c.ticketId === call.ticket_id));
  return latest ? current.filter((c) => c.ticketId === latest.ticket_id) : [];
}

function renderCalls(calls) {
  const now = Date.now();
  const keys = new Set(calls.map((c) => `${c.ticketId}|${c.at}`));
  for (const key of firstSeen.keys()) if (!keys.has(key)) firstSeen.delete(key);
  const box = $("calls");
  box.className = `calls calls-${Math.min(calls.length, 5)}`;
  box.replaceChildren(
    ...calls.map((call, index) => {
      const key = `${call.ticketId}|${call.at}`;
      if (!firstSeen.has(key)) firstSeen.set(key, now);
      const fresh = now - firstSeen.get(key) < FLASH_MS;
      return el(
        "li",
        { class: `call ${call.status}${fresh ? " flash" : ""}`, "data-ticket": call.ticketId, "data-counter": call.counter },
        el("span", { class: "call-number huge", id: index === 0 ? "latest-number" : null }, call.number),
        el("span", { class: "call-counter" }, t("at_counter"), " ",
          el("strong", { class: "latest-counter", id: index === 0 ? "latest-counter" : null }, call.counter)),
      );
    }),
  );
  $("calls-empty").hidden = calls.length > 0;
}

function render(snapshot) {
  timeZone = snapshot.site.timezone;
  $("site-name").textContent = snapshot.site.name;
  $("counters").replaceChildren(
    ...snapshot.counters.map((c) =>
      el(
        "tr",
        { "data-counter": c.number, class: c.state },
        el("th", { scope: "row", class: "counter-number" }, c.number),
        el("td", { class: "current" }, c.current ? c.current.number : c.state === "open" ? "–" : stateText(c)),
      ),
    ),
  );
  calledNow = new Set(
    snapshot.counters.filter((c) => c.current && c.current.status === "called").map((c) => c.current.id),
  );
  renderCalls(pendingCalls(snapshot));
  // The recent calls follow the live state too: only tickets still at their counter.
  const atCounter = new Set(snapshot.counters.filter((c) => c.current).map((c) => c.current.id));
  const seen = new Set();
  const recent = snapshot.recent_calls.filter((call) => {
    if (!atCounter.has(call.ticket_id) || seen.has(call.ticket_id)) return false;
    seen.add(call.ticket_id);
    return true;
  });
  $("recent").replaceChildren(
    ...recent.slice(0, RECENT_SHOWN).map((call, index) =>
      el(
        "li",
        { class: index === 0 ? "newest" : "" },
        el("strong", {}, call.number),
        ` ${t("to_counter", { counter: call.counter_number })}`,
        el("span", { class: "hint" }, ` ${formatTime(call.at, timeZone)}`),
      ),
    ),
  );
  hear(snapshot.recent_calls);
  // Each service's count and the wait of a number taken now (static/js/waits.js's words).
  $("waiting").replaceChildren(
    ...snapshot.services.map((s) => {
      const wait = waitOf(s);
      return el(
        "li",
        { "data-service": s.id },
        el(
          "span",
          { class: "service-wait" },
          el("span", { class: "name" }, inLanguage(s, "name")),
          el("span", { class: `wait-line wait-${waitKind(wait, s.waiting) || "unknown"}` }, sayWait(wait, s.waiting)),
        ),
        el("strong", { class: "count" }, s.waiting),
      );
    }),
  );
  showNotice(snapshot.site.notice || "");
  fit();
}

// -- fitting a 1920x1080 TV ------------------------------------------------------------------
// From 6 to 20 and more counters: the board steps through denser layouts (fit-0: one column
// of large rows; then two and three columns, smaller rows, closed counters compact) until
// every counter's row fits on the screen. The notice line is outside the fitted part and is
// always on screen, whatever the header (an outage message may wrap it).
const FIT_LEVELS = 6;

function overflows(element) {
  return element.scrollHeight > element.clientHeight + 1 || element.scrollWidth > element.clientWidth + 1;
}

function fit() {
  const sections = [...document.querySelectorAll(".board-main > section")];
  for (let level = 0; level < FIT_LEVELS; level += 1) {
    for (let other = 0; other < FIT_LEVELS; other += 1) root.classList.toggle(`fit-${other}`, other === level);
    if (!sections.some(overflows)) return;
  }
}
window.addEventListener("resize", fit);

function stateText(counter) {
  if (counter.state !== "paused") return t("closed");
  return counter.pause_reason ? t("paused_because", { reason: counter.pause_reason }) : t("paused");
}

// The manager's notice line scrolls from right to left, at the same speed whatever its
// length; the CSS animation reads its duration from a class, never an inline style.
function showNotice(text) {
  if ($("notice").textContent === text) return;
  $("notice").textContent = text;
  $("notice-bar").hidden = !text;
  const length = Math.min(6, Math.max(1, Math.ceil(text.length / 60)));
  $("notice").className = `notice scroll-${length}`;
}

function tick() {
  $("clock").textContent = new Date().toLocaleString(locale, {
    weekday: "long", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone,
  });
}
setInterval(tick, 1000);
tick();

connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/board/snapshot", { headers }),
  onSnapshot: render, // and every `state` the server pushes: the calls to announce come in it
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
    fit(); // an outage message may take the header's room
  },
});
