// The waiting-room board. Calls are queued as announcements and spoken one after another,
// so two clerks calling in the same second give two announcements in order, none lost.
import { connectLive, trouble, el, fetchJson, formatTime, inLanguage, locale, t } from "./live.js";

const root = document.getElementById("board");
const token = root.dataset.device || localStorage.getItem("xephang.board.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.board.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const $ = (id) => document.getElementById(id);
let timeZone = "Asia/Ho_Chi_Minh";

// Inspected by tests: every call the board has heard, and every announcement it has spoken
// ({number, counter, recall, clips, start, end, seconds}; times from Date.now()).
const announcements = [];
const spoken = [];
window.xephangBoard = { announcements, spoken };

// -- which calls to announce -------------------------------------------------------------
// Calls are read from the snapshot's recent calls, not from the change messages: the
// snapshot fetched after one call may already hold the next, whose message is then
// dropped as old news, and calls made while the board was disconnected arrive in no
// message at all. A call not in the previous snapshot is new.
let heard = null; // keys of the previous snapshot's calls; null before the first snapshot

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
  const entry = { number, counter: counterNumber, text, recall: call.recall, clips: call.clips, at: Date.now() };
  announcements.push(entry);
  queue.push(entry);
  entry.clips.forEach(loadClip); // while the announcement before it plays
  if (!speaking) announceQueued();
}

async function announceQueued() {
  speaking = true;
  while (queue.length) {
    const call = queue.shift();
    show(call);
    await speak(call);
  }
  speaking = false;
}

function show(call) {
  $("latest-number").textContent = call.number;
  $("latest-counter").textContent = call.counter;
  root.classList.remove("flash");
  void root.offsetWidth; // restart the highlight animation
  root.classList.add("flash");
}

// -- the voice -----------------------------------------------------------------------------
// Clips from /voice/<name>.wav (built by `xephang voice build`, or the centre's own), put
// together with Web Audio: scheduled back to back on the audio clock, without the gaps that
// starting one <audio> after another would leave between the digits.
const CHIME = "chime"; // display/announce.py's CHIME
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

// Plays the chime, then the call `repeat` times; resolves once the sound has ended. A call
// without its clips, or with sound blocked, is only shown: the board never stops for it.
async function speak(call) {
  if (repeat === 0 || !call.clips.length) return;
  const plan = [{ name: CHIME, pause: AFTER_CHIME }];
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

// Recent calls shown under the latest one: as many as read well from the back of the hall.
const RECENT_SHOWN = 6;

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
  $("recent").replaceChildren(
    ...snapshot.recent_calls.slice(0, RECENT_SHOWN).map((call, index) =>
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
  if (snapshot.recent_calls.length && $("latest-number").textContent === "–") {
    $("latest-number").textContent = snapshot.recent_calls[0].number;
    $("latest-counter").textContent = snapshot.recent_calls[0].counter_number;
  }
  $("waiting").replaceChildren(
    ...snapshot.services.map((s) =>
      el("li", { "data-service": s.id }, el("span", {}, inLanguage(s, "name")), el("strong", { class: "count" }, s.waiting)),
    ),
  );
  showNotice(snapshot.site.notice || "");
}

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

const live = connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/board/snapshot", { headers }),
  onSnapshot: render,
  onChange: () => live.refresh(), // calls to announce come with the snapshot
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
