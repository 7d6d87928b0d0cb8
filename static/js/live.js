// Keeps a screen in step with the server: its snapshot over HTTP on connect and on every
// reconnect, then the states the server pushes over Socket.IO (README, "Live events"),
// applied as they come, without a request. Every state carries the site's sequence number
// and a screen never goes back to an older one. Each committed change is also announced by
// a bare `change`: one that concerns the screen and that no state covers within a couple of
// seconds (a state that could not be computed, a message lost between workers) makes the
// screen fetch its snapshot, so it is never left wrong.
/* global io */

// -- words ---------------------------------------------------------------------------------
// Every word a script shows comes from its page: the template renders them in the page's
// language (`?lang=en|vi`, Vietnamese by default) into JSON blocks, #i18n-common for this
// module and #i18n for the screen's own.
export const lang = document.documentElement.lang === "en" ? "en" : "vi";
export const locale = lang === "en" ? "en-GB" : "vi-VN";

function readWords(id) {
  const block = document.getElementById(id);
  if (!block) return {};
  try {
    return JSON.parse(block.textContent);
  } catch {
    return {};
  }
}
const words = { ...readWords("i18n-common"), ...readWords("i18n") };

// t("ahead", {n: 3}) -> "Trước bạn: 3 người"; placeholders are written {name}.
export function t(key, values = {}) {
  const text = words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A bilingual field of the server's data (name_vi / name_en) in the page's language.
export function inLanguage(item, field) {
  if (!item) return "";
  return (lang === "en" && item[`${field}_en`]) || item[`${field}_vi`] || "";
}

// The server's own words for a refusal (`message` is Vietnamese, `message_en` English).
export function refusalText(body) {
  if (!body) return "";
  return (lang === "en" && body.message_en) || body.message || "";
}

export async function fetchJson(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { Accept: "application/json", ...(options.headers || {}) },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = new Error((body && body.message) || `HTTP ${response.status}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

// How long a change may wait for the state that covers it before the screen asks for its
// snapshot; up to as long again at random, so that a site's screens do not all ask at once.
// A state follows its change by the time the server takes to compute it, which grows with
// the load (seconds, in a burst on a small machine): asking sooner would add to the load
// the very requests that states are there to spare. While states keep coming, the server
// is only behind, and the wait starts again: the next state covers the change.
const GAP_MS = 3000;

// `onSnapshot` renders a snapshot, and the `state` payloads too (they are the same thing).
// A page that follows other events (the phone's `queue` and `ticket`) applies them through
// `take`. `concerns(change)` says which changes the server follows with a state for this
// screen (the others are none of its business). A page that is told only of changes, with no
// state (the rating tablet), handles them in `onChange` instead, called for each newer one.
export function connectLive({ auth, load, onSnapshot, concerns = () => true, onChange = null, onStatus = () => {} }) {
  let seq = -1;
  let loading = false;
  let again = false;
  let uncovered = []; // [seq, due]: changes that concern the screen, waiting for their state
  let gapTimer = null;
  // Retry every 0.5-2 s: a board must be right again within seconds of a server restart.
  const socket = io({ transports: ["websocket"], auth, reconnectionDelay: 500, reconnectionDelayMax: 2000 });

  // A payload at least as new as what the screen shows becomes what it shows (the same seq
  // may carry a phone's ticket after its queue); an older one (several workers) is dropped.
  function take(payload) {
    if (!payload || typeof payload.seq !== "number") return false;
    const wait = Date.now() + GAP_MS;
    uncovered = uncovered.map(([changeSeq, due]) => [changeSeq, Math.max(due, wait)]);
    if (payload.seq < seq) return false;
    seq = payload.seq;
    return true;
  }

  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    uncovered = []; // the snapshot is at least as new as every change heard so far
    try {
      const snapshot = await load();
      if (take(snapshot)) onSnapshot(snapshot);
    } catch (error) {
      onStatus(false, error);
      setTimeout(refresh, 3000);
    } finally {
      loading = false;
    }
    if (again) {
      again = false;
      refresh();
    }
  }

  function watchGaps() {
    clearTimeout(gapTimer);
    gapTimer = null;
    uncovered = uncovered.filter(([changeSeq]) => changeSeq > seq);
    if (!uncovered.length) return;
    const due = Math.min(...uncovered.map(([, at]) => at));
    if (due > Date.now()) {
      gapTimer = setTimeout(watchGaps, due - Date.now());
    } else if (loading) {
      gapTimer = setTimeout(watchGaps, GAP_MS); // the snapshot on its way may cover it
    } else {
      refresh();
    }
  }

  function change(message) {
    if (!message || typeof message.seq !== "number" || message.seq <= seq) return;
    if (onChange) {
      onChange(message);
      return;
    }
    if (!concerns(message)) return;
    uncovered.push([message.seq, Date.now() + GAP_MS * (1 + Math.random())]);
    watchGaps();
  }

  function state(payload) {
    if (take(payload)) onSnapshot(payload);
  }

  socket.on("connect", () => {
    onStatus(true);
    seq = -1; // whatever the server holds now (a database restored, say) is the truth
    refresh();
  });
  socket.on("disconnect", () => {
    uncovered = []; // the snapshot on reconnect covers them
    onStatus(false);
  });
  socket.on("connect_error", (error) => onStatus(false, error));
  socket.on("change", change);
  socket.on("state", state);
  return { socket, refresh, take, seq: () => seq };
}

// What to tell a person when the server cannot be used: its own words where it refused
// (an unregistered device, say), or that the connection is lost and being retried.
export function trouble(error) {
  const refusal = error && (refusalText(error.body) || refusalText(error.data));
  return refusal || t("offline");
}

// What went wrong with an action, for the person who tried it: the server's refusal in
// their language, or that the server could not be reached.
export function failure(error, unreachable = t("unreachable")) {
  return (error && error.status && (refusalText(error.body) || error.message)) || unreachable;
}

export function formatTime(iso, timeZone) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone });
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
