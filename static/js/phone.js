// The citizen's phone page: position and estimated wait, live; a warning when the turn is
// near (a few people ahead, data-notify-ahead) and "your turn, go to counter N" when
// called, with vibration and, if the citizen allowed it with a tap, a notification.
import { connectLive, trouble, failure, fetchJson, inLanguage, t } from "./live.js";
import { sayWait, sayWarning, waitOf } from "./waits.js";

const root = document.getElementById("phone");
const token = root.dataset.token;
const notifyAhead = Math.max(0, Number.parseInt(root.dataset.notifyAhead, 10) || 0);
const $ = (id) => document.getElementById(id);
const ENDED = ["done", "no_show", "cancelled", "expired", "serving", "transferred"];
const NEAR_PATTERN = [200, 100, 200];
const CALLED_PATTERN = [400, 150, 400, 150, 400];

// Inspected by tests: what the page did to get the citizen's attention.
const notified = []; // {kind, title, body, shown, at}
const vibrated = []; // {kind, pattern, at}
const state = { notified, vibrated, asked: 0 };
window.xephangPhone = state;

let serviceId = null;
let firstSnapshot = true;
let lastAhead = null;
let nearWarned = false;
let calledKey = null;

function notificationsSupported() {
  return "Notification" in window;
}

function notificationsOn() {
  return notificationsSupported() && Notification.permission === "granted";
}

// The notification itself: the page's own, or, where the browser allows notifications only
// from a service worker (Chrome on Android), through the page's worker.
async function notify(kind, title, body) {
  const record = { kind, title, body, shown: false, at: Date.now() };
  notified.push(record);
  if (!notificationsOn()) return;
  const options = { body, tag: `xephang-${kind}`, renotify: true, icon: "/static/favicon.svg" };
  try {
    new Notification(title, options);
    record.shown = true;
  } catch {
    try {
      const registration = await navigator.serviceWorker?.getRegistration("/t/");
      if (registration) {
        await registration.showNotification(title, options);
        record.shown = true;
      }
    } catch {
      // nothing more to try: the page itself still shows the state
    }
  }
}

function vibrate(kind, pattern) {
  vibrated.push({ kind, pattern, at: Date.now() });
  if (navigator.vibrate) navigator.vibrate(pattern);
}

function alertNear(ticket) {
  vibrate("near", NEAR_PATTERN);
  notify("near", t("near_title", { number: ticket.number }), t("near_body", { n: ticket.people_ahead }));
}

function alertCalled(ticket) {
  vibrate("called", CALLED_PATTERN);
  notify("called", t("called_title", { number: ticket.number }), t("called_body", { counter: ticket.counter_number }));
}

function renderNotifyBox(status) {
  const box = $("notify-box");
  box.hidden = status !== "waiting";
  if (!notificationsSupported()) {
    $("notify").hidden = true;
    $("notify-state").textContent = t("notify_unsupported");
  } else if (Notification.permission === "granted") {
    $("notify").hidden = true;
    $("notify-state").textContent = t("notify_on", { n: notifyAhead });
  } else if (Notification.permission === "denied") {
    $("notify").hidden = true;
    $("notify-state").textContent = t("notify_denied");
  } else {
    $("notify").hidden = false;
    $("notify-state").textContent = "";
  }
}

// A transfer keeps the number and the place: said while the citizen waits in the new
// service, and announced if it happens while the page is open.
function renderTransfer(ticket, moved) {
  const from = ticket.transferred_from;
  const shown = Boolean(from) && ["waiting", "called"].includes(ticket.status);
  $("transfer-state").hidden = !shown;
  const to = inLanguage(ticket, "service_name");
  $("transfer-state").textContent = shown
    ? t("moved", { number: ticket.number, from: inLanguage(from, "service_name"), to })
    : "";
  if (moved && from) {
    vibrate("transferred", NEAR_PATTERN);
    notify("transferred", t("moved_title", { number: ticket.number, to }), t("moved_body"));
  }
}

function render(snapshot) {
  const ticket = snapshot.ticket;
  const moved = !firstSnapshot && serviceId !== null && ticket.service_id !== serviceId;
  serviceId = ticket.service_id;
  renderTransfer(ticket, moved);
  const waiting = ticket.status === "waiting";
  const called = ticket.status === "called";
  const near = waiting && ticket.people_ahead <= notifyAhead;
  $("site-name").textContent = snapshot.site.name;
  $("number").textContent = ticket.number;
  $("service").textContent = inLanguage(ticket, "service_name");
  $("waiting-state").hidden = !waiting;
  $("near-state").hidden = !near;
  $("called-state").hidden = !called;
  $("ahead").textContent = ticket.people_ahead;
  const wait = waitOf(ticket);
  $("wait").textContent = sayWait(wait, ticket.people_ahead) || "–";
  $("wait-warning").textContent = waiting ? sayWarning(wait, new Date(), snapshot.site.timezone) : "";
  $("wait-warning").hidden = !$("wait-warning").textContent;
  $("counter-number").textContent = ticket.counter_number ?? "";
  $("status-text").textContent = ENDED.includes(ticket.status) ? t(ticket.status) : "";
  $("cancel").hidden = !waiting;
  document.body.classList.toggle("called", called);
  renderNotifyBox(ticket.status);
  // The messages' and second chance's part (notify.js) follows the ticket's status.
  document.dispatchEvent(new CustomEvent("ticket-status", { detail: { status: ticket.status } }));

  // Attention is drawn by changes seen while the page is open, not by the state it opened
  // in (the citizen is looking at it then): once when the turn comes near, and at each
  // call (a recall calls again).
  if (!firstSnapshot) {
    if (near && !nearWarned && lastAhead !== null && ticket.people_ahead < lastAhead) {
      nearWarned = true;
      alertNear(ticket);
    }
    const key = called ? `${ticket.counter_number}|${ticket.recall_count}` : null;
    if (key && key !== calledKey) alertCalled(ticket);
    calledKey = key;
  } else {
    calledKey = called ? `${ticket.counter_number}|${ticket.recall_count}` : null;
  }
  if (waiting) lastAhead = ticket.people_ahead;
  firstSnapshot = false;
}

// Asked only when the citizen taps: never on load, never by itself.
$("notify").addEventListener("click", async () => {
  if (!notificationsSupported()) return;
  state.asked += 1;
  await Notification.requestPermission();
  if (Notification.permission === "granted" && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/t/sw.js", { scope: "/t/" }).catch(() => {});
  }
  renderNotifyBox("waiting");
});

$("cancel").addEventListener("click", async () => {
  if (!window.confirm(t("confirm_cancel"))) return;
  try {
    await fetchJson(`/api/tickets/${token}/cancel`, { method: "POST" });
  } catch (error) {
    $("status-text").textContent = failure(error);
  }
  live.refresh();
});

// -- following the ticket -------------------------------------------------------------------
// The page fetches its ticket once, on connect; then the server tells it, in its own room,
// its ticket's new state (`ticket`: called, recalled, served, transferred, cancelled...) and,
// in its service's room, every waiting number's people ahead and wait (`queue`), from which
// it reads its own. It never asks again because another ticket moved. A queue without its
// number means its ticket left the queue: the `ticket` saying how comes right behind it,
// and only if it does not does the page ask for its snapshot, once.
const VIEW_WAIT_MS = 1500;
let shown = null; // the ticket's latest full view (a snapshot, or a `ticket` event)
let viewTimer = null;
let viewNeeded = -1; // the seq of a queue that said the ticket left it (or came back)

function showView(view) {
  const before = serviceId;
  shown = view;
  render(view);
  // Transferred: its new service's queue is heard in that service's room, joined on connect.
  if (before !== null && serviceId !== before) live.socket.disconnect().connect();
}

function applyQueue(queue) {
  if (!shown || queue.service_id !== serviceId || !live.take(queue)) return;
  const ticket = shown.ticket;
  const place = queue.tickets[ticket.number];
  if (place && ticket.status === "waiting") {
    const moved = placeInQueue(ticket, place, queue);
    if (!moved) return;
    shown = { ...shown, seq: queue.seq, ticket: moved };
    render(shown);
  } else if (Boolean(place) !== (ticket.status === "waiting") && shown.seq < queue.seq) {
    viewNeeded = Math.max(viewNeeded, queue.seq);
    if (!viewTimer) viewTimer = setTimeout(viewOrSnapshot, VIEW_WAIT_MS);
  }
}

// The ticket as its queue now places it: [people ahead, median, low, high] (an older
// server: [people ahead, minutes]); whether a counter serves the service is the queue's
// own word (its service's `wait`), the warning the ticket's last full view's. Null when
// nothing the page shows has moved.
function placeInQueue(ticket, place, queue) {
  const [ahead, median, low, high] = place;
  const before = ticket.wait;
  let wait = null;
  if (place.length >= 4) {
    const noCounter = queue.wait ? Boolean(queue.wait.no_counter) : Boolean(before && before.no_counter);
    wait = { low, median, high, no_counter: noCounter, warning: before ? before.warning : null };
    const same = before && before.low === low && before.median === median && before.high === high
      && Boolean(before.no_counter) === noCounter;
    if (same && ahead === ticket.people_ahead) return null;
  } else if (ahead === ticket.people_ahead && median === ticket.estimated_wait_minutes) {
    return null;
  }
  return { ...ticket, people_ahead: ahead, estimated_wait_minutes: median, wait };
}

function viewOrSnapshot() {
  viewTimer = null;
  if (shown.seq < viewNeeded) live.refresh();
}

const live = connectLive({
  auth: { ticket: token },
  load: () => fetchJson(`/api/tickets/${token}`),
  onSnapshot: showView,
  concerns: (change) => change.service_ids.includes(serviceId),
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
live.socket.on("queue", applyQueue);
live.socket.on("ticket", (view) => {
  if (!view || !view.ticket) live.refresh(); // a server that only says it changed
  else if (live.take(view)) showView(view);
});
