// Keeps a screen in step with the server: a snapshot over HTTP, then changes over
// Socket.IO. Every change carries the site's sequence number; on connect, on reconnect and
// on any gap in the sequence the screen fetches a fresh snapshot, so it is never left wrong.
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

export function connectLive({ auth, load, onSnapshot, onChange = () => {}, onTicket, onStatus = () => {} }) {
  let seq = -1;
  let loading = false;
  let again = false;
  let held = [];
  // Retry every 0.5-2 s: a board must be right again within seconds of a server restart.
  const socket = io({ transports: ["websocket"], auth, reconnectionDelay: 500, reconnectionDelayMax: 2000 });

  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const snapshot = await load();
      seq = snapshot.seq;
      onSnapshot(snapshot);
    } catch (error) {
      onStatus(false, error);
      setTimeout(refresh, 3000);
    } finally {
      loading = false;
    }
    const waiting = held;
    held = [];
    waiting.forEach(handle);
    if (again) {
      again = false;
      refresh();
    }
  }

  function handle(message) {
    if (loading) {
      held.push(message);
      return;
    }
    if (message.seq <= seq) return; // already in the snapshot
    if (message.seq > seq + 1) {
      refresh(); // a gap: something was missed
      return;
    }
    seq = message.seq;
    onChange(message);
  }

  socket.on("connect", () => {
    onStatus(true);
    refresh();
  });
  socket.on("disconnect", () => onStatus(false));
  socket.on("connect_error", (error) => onStatus(false, error));
  socket.on("change", handle);
  if (onTicket) socket.on("ticket", onTicket);
  return { socket, refresh, seq: () => seq };
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
