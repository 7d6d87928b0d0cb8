// How a wait is said: the one rule of every screen (kiosk, reception, board, phone). The
// paper says the same in the same words: server/adapters/printing/ticket_wait.py's
// wait_words follows this module rule for rule (tests/browser/test_waits.py holds them
// side by side).
//
// The server quotes a wait as {low, median, high, no_counter, warning} in minutes: P10,
// median and P90 of the time until the ticket is called; high null when it may not be
// called before closing. A citizen reads:
//   1. no_counter (no counter can serve the service now): "Chưa có quầy phục vụ", and no
//      figure at all: any number would be invented.
//   2. soon: the top of the range within SOON_MINUTES (low = high = 0), or nobody ahead and
//      a bottom of 0 (a counter is free for them): "sắp được gọi" rather than "0-1 phút".
//   3. high null: "từ 40 phút – có thể sau giờ đóng cửa" (just "có thể sau giờ đóng cửa"
//      from 0).
//   4. otherwise "khoảng 15-25 phút": the bottom rounded down and the top rounded up, each
//      to the step of its size (whole minutes under 10, 5 minutes up to 60, 10 beyond), so
//      the range never looks more precise than it is and never narrower than quoted;
//      "khoảng 20 phút" when both ends meet.
// A warning ("Có thể không kịp trước 11:30", before lunch or closing) is a line of its
// own, under the wait. A server without `wait` (an older one) gives one estimate,
// `estimated_wait_minutes`: "khoảng 12 phút", or "sắp được gọi" for 0.

export const SOON_MINUTES = 2;

function readWords() {
  const block = document.getElementById("i18n-waits");
  if (!block) return {};
  try {
    return JSON.parse(block.textContent);
  } catch {
    return {};
  }
}
const words = readWords();
const english = document.documentElement.lang === "en";

function say(key, values = {}) {
  const text = words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function step(minutes) {
  if (minutes < 10) return 1;
  if (minutes <= 60) return 5;
  return 10;
}

export function roundDown(minutes) {
  const size = step(minutes);
  return Math.floor(minutes / size) * size;
}

export function roundUp(minutes) {
  const size = step(minutes);
  return Math.ceil(minutes / size) * size;
}

function whole(value) {
  const number = Number(value);
  return Number.isFinite(number) ? Math.max(0, Math.round(number)) : null;
}

// The wait of a service entry (`priority`: for a priority ticket) or of a ticket, as the
// server sent it; from `estimated_wait_minutes` where the server sent no `wait`.
export function waitOf(item, priority = false) {
  if (!item) return null;
  const quoted = (priority && item.priority_wait) || item.wait;
  if (quoted && typeof quoted === "object") return quoted;
  const minutes = whole(item.estimated_wait_minutes);
  if (minutes === null) return null;
  return { low: minutes, median: minutes, high: minutes, no_counter: false, warning: null, single: true };
}

// The kind of a wait: "none" (no counter), "soon", "late" (perhaps after closing),
// "range"; or "" when there is nothing to say.
export function waitKind(wait, ahead = null) {
  if (!wait) return "";
  if (wait.no_counter) return "none";
  const low = whole(wait.low) ?? 0;
  const high = wait.high === null || wait.high === undefined ? null : whole(wait.high);
  if (high !== null && high <= SOON_MINUTES) return "soon";
  if (ahead === 0 && low === 0) return "soon";
  if (high === null) return "late";
  return "range";
}

// The wait in words, in the page's language (see the rule above); `ahead` is the number of
// people ahead when known (a ticket's, or a service's waiting count for a new ticket).
export function sayWait(wait, ahead = null) {
  const kind = waitKind(wait, ahead);
  if (!kind) return "";
  if (kind === "none") return say("none");
  if (kind === "soon") return say("soon");
  const low = roundDown(whole(wait.low) ?? 0);
  if (kind === "late") return low > 0 ? say("late_from", { low }) : say("late");
  if (wait.single) {
    const minutes = whole(wait.median) ?? 0;
    return say("about", { minutes });
  }
  const high = Math.max(roundUp(whole(wait.high)), low);
  return high === low ? say("about", { minutes: low }) : say("range", { low, high });
}

// The warning of a quote ("Có thể không kịp trước 11:30") in the page's language, or "".
// Once its time has passed it says nothing more.
export function sayWarning(wait, now = new Date(), timeZone = null) {
  const warning = wait && !wait.no_counter && wait.warning;
  if (!warning) return "";
  if (timeZone && warning.until && isPast(warning.until, now, timeZone)) return "";
  const own = english ? warning.en : warning.vi;
  return own || (warning.until ? say("warning", { time: warning.until }) : "");
}

function isPast(until, now, timeZone) {
  try {
    const clock = now.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone });
    return clock >= until;
  } catch {
    return false;
  }
}
