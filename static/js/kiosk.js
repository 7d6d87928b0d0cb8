// The kiosk: service -> optional priority -> number. It shows only numbers the server
// issued; when the server cannot be reached it says so and keeps retrying. A citizen may
// switch it to English; once they are done (or walk away) it comes back to Vietnamese.
import { connectLive, trouble, failure, el, fetchJson, lang, t, inLanguage } from "./live.js";
import { sayWait, sayWarning, waitOf } from "./waits.js";

const root = document.getElementById("kiosk");
const token = root.dataset.device || localStorage.getItem("xephang.kiosk.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.kiosk.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const RESULT_SECONDS = 15;
// The result stays up this long after the printer's outcome is due at the latest, so a
// failure always reaches a citizen still at the kiosk.
const PRINT_MARGIN_SECONDS = 5;
// A print that may take longer than this is announced with its time (a slow serial link).
const SLOW_PRINT_SECONDS = 10;
// When the paper did not come out the screen is the ticket: long enough to photograph it.
const SCREEN_TICKET_SECONDS = 60;
// A citizen who walks away half-way (or leaves the kiosk in English) is forgotten.
const IDLE_SECONDS = 45;
const ISSUE_TIMEOUT_MS = 10_000;

let chosenService = null;
let resetTimer = null;
let countdown = null;
let idleTimer = null;
let shownJob = null; // the print job of the ticket on screen, if it is being printed
let online = false;
let issuing = false;
let timeZone = "Asia/Ho_Chi_Minh";

const $ = (id) => document.getElementById(id);

function show(step) {
  for (const id of ["step-service", "step-priority", "step-warning", "step-result"]) $(id).hidden = id !== step;
}

function message(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
}

// Offline: said plainly, and no button that could look as if it gave a number. A refusal
// (an unregistered kiosk) is the server's own words in the header, not "offline".
function setOnline(value, refused = false) {
  online = value;
  $("offline").hidden = value || refused;
  for (const button of document.querySelectorAll("#services button, #priorities button, #no-priority")) {
    button.disabled = !value || issuing || button.classList.contains("unavailable");
  }
  $("take-anyway").disabled = !value || issuing;
}

// Why a service gives no number now, said on its button (the server refuses it anyway).
function notIssuing(service) {
  const issuing = service.issuing;
  if (!issuing || issuing.open) return "";
  if (issuing.reason === "full") return t("full");
  if (issuing.reason === "over") return t("over", { time: issuing.until });
  if (issuing.reason === "not_yet") return t("not_yet", { time: issuing.from });
  return t("closed");
}

// The snapshot says when a button may next change by the clock alone (16:00, closing,
// opening); the kiosk asks again then, not more often.
let clockTimer = null;
function refreshAt(moment) {
  clearTimeout(clockTimer);
  const ms = moment ? Date.parse(moment) - Date.now() : Number.NaN;
  if (Number.isFinite(ms)) clockTimer = setTimeout(() => live.refresh(), Math.max(1000, ms + 1000));
}

// The buttons are built once for a set of services and then updated in place (counts,
// estimates, greyed or not): an element under a finger is never replaced, since a press
// that spans its replacement is lost. They are built again only when the services
// themselves change (which, their names, pictograms, order), and never during a press.
const PRESS_SETTLE_MS = 300; // after the finger lifts, the tap's click comes first
let latest = null; // the latest snapshot or state
let builtFor = null; // the services (and priorities) the buttons were built for
const pressing = new Map(); // pointers down on a button of the kiosk -> since when
const LONGEST_PRESS_MS = 10_000; // a pointer "down" longer is a lost release, not a press
let pressTimer = null;

function pressed() {
  for (const [pointer, since] of pressing) if (Date.now() - since > LONGEST_PRESS_MS) pressing.delete(pointer);
  return pressing.size > 0;
}

function servicesShape(snapshot) {
  return JSON.stringify([
    snapshot.services.map((s) => [s.id, s.name_vi, s.name_en, s.pictogram]),
    snapshot.priorities.map((p) => [p.code, p.name_vi, p.name_en]),
  ]);
}

function serviceButton(service) {
  const id = service.id;
  return el(
    "button",
    { type: "button", class: "service", "data-service-id": id, onclick: () => choose(currentService(id)) },
    el("img", { src: `/static/pictograms/${service.pictogram || "default"}.svg`, alt: "", class: "pictogram" }),
    el("span", { class: "name" }, inLanguage(service, "name")),
    el("span", { class: "wait-warning", hidden: true }),
    el("span", { class: "meta" }),
  );
}

function currentService(id) {
  return latest && latest.services.find((s) => s.id === id);
}

function updateButton(button, service) {
  const why = notIssuing(service);
  button.classList.toggle("unavailable", Boolean(why));
  const line = button.lastElementChild;
  const kind = why ? "not-issuing" : "meta";
  const wait = waitOf(service);
  const text = why || t("waiting", { waiting: service.waiting, wait: sayWait(wait, service.waiting) });
  if (line.className !== kind) line.className = kind;
  if (line.textContent !== text) line.textContent = text;
  const warning = button.querySelector(".wait-warning");
  const late = why ? "" : sayWarning(wait, new Date(), timeZone);
  if (warning.textContent !== late) warning.textContent = late;
  warning.hidden = !late;
}

function renderServices(snapshot) {
  latest = snapshot;
  timeZone = snapshot.site.timezone || timeZone;
  $("site-name").textContent = snapshot.site.name;
  const shape = servicesShape(snapshot);
  if (shape !== builtFor && !pressed()) {
    builtFor = shape;
    $("services").replaceChildren(...snapshot.services.map(serviceButton));
    $("priorities").replaceChildren(
      ...snapshot.priorities.map((p) =>
        el("button", { type: "button", class: "big", "data-priority": p.code, onclick: () => warnFirst(p.code) }, inLanguage(p, "name")),
      ),
    );
  }
  for (const service of snapshot.services) {
    const button = $("services").querySelector(`button[data-service-id="${service.id}"]`);
    if (button) updateButton(button, service);
  }
  refreshAt(snapshot.next_change_at);
  setOnline(true);
}

// A press lasts from the finger down on a button to its lifting (or the browser giving it
// up); a rebuild that waited for it happens just after, once the tap has done its work.
document.addEventListener(
  "pointerdown",
  (event) => {
    if (event.target.closest("#services button, #priorities button")) pressing.set(event.pointerId, Date.now());
  },
  true,
);
for (const type of ["pointerup", "pointercancel"]) {
  document.addEventListener(
    type,
    (event) => {
      if (!pressing.delete(event.pointerId) || pressing.size) return;
      clearTimeout(pressTimer);
      pressTimer = setTimeout(() => {
        if (!pressed() && latest && servicesShape(latest) !== builtFor) renderServices(latest);
      }, PRESS_SETTLE_MS);
    },
    true,
  );
}

function choose(service) {
  if (!service || notIssuing(service)) return; // gone, or no number now
  chosenService = service;
  message("");
  $("chosen-service").textContent = inLanguage(service, "name");
  show("step-priority");
}

// A number that may not be called before lunch or closing is not given without a word:
// the citizen reads the warning and chooses to take it anyway or to come back later.
let pendingPriority = null;

function warnFirst(priority) {
  if (!chosenService || issuing) return;
  const wait = waitOf(chosenService, Boolean(priority));
  const warning = sayWarning(wait, new Date(), timeZone);
  if (!warning) {
    issue(priority);
    return;
  }
  pendingPriority = priority;
  $("warning-text").textContent = warning;
  $("warning-service").textContent = inLanguage(chosenService, "name");
  $("warning-wait").textContent = t("wait", { wait: sayWait(wait, chosenService.waiting) });
  show("step-warning");
}

async function issue(priority) {
  if (!chosenService || issuing) return;
  message("");
  issuing = true;
  setOnline(online);
  try {
    const body = await fetchJson("/api/kiosk/tickets", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ service_id: chosenService.id, priority }),
      signal: AbortSignal.timeout(ISSUE_TIMEOUT_MS),
    });
    showResult(body.ticket, body.printing);
  } catch (error) {
    // Never a number the server did not give: the citizen is told, and tries again. Not
    // answered at all: offline until a fresh snapshot says the server is back.
    if (!error.status) {
      setOnline(false);
      live.refresh();
    }
    message(failure(error, t("issue_failed")));
    show("step-service");
    chosenService = null;
  } finally {
    issuing = false;
    setOnline(online);
  }
}

function showResult(ticket, printing) {
  $("result-number").textContent = ticket.number;
  $("result-service").textContent = inLanguage(ticket, "service_name");
  $("result-priority").hidden = !ticket.priority;
  $("result-ahead").textContent = t("ahead", { n: ticket.people_ahead });
  const wait = waitOf(ticket);
  $("result-wait").textContent = t("wait", { wait: sayWait(wait, ticket.people_ahead) });
  $("result-warning").textContent = sayWarning(wait, new Date(), timeZone);
  $("result-warning").hidden = !$("result-warning").textContent;
  $("result-qr").src = ticket.qr_url;
  shownJob = printing && printing.job_id;
  showPrinting(printing);
  show("step-result");
}

// How the paper is doing: being printed, printed, or not coming (then the screen is the
// ticket). A failure after the answer arrives as a `printing` event on the kiosk's socket.
function showPrinting(printing) {
  const status = printing ? printing.status : "none";
  const failed = status === "failed";
  $("step-result").classList.toggle("screen-ticket", failed);
  $("print-trouble").hidden = !failed;
  const pending = status === "queued" || status === "printing";
  const due = pending && printing.seconds ? Math.ceil(printing.seconds) : 0;
  const busy = due > SLOW_PRINT_SECONDS ? t("printing_slow", { seconds: due }) : t("printing");
  const words = { queued: busy, printing: busy, printed: t("printed") };
  $("print-status").textContent = words[status] || "";
  $("print-status").hidden = !words[status];
  returnAfter(failed ? SCREEN_TICKET_SECONDS : Math.max(RESULT_SECONDS, due + PRINT_MARGIN_SECONDS));
}

// The result stays up for `seconds`, counting down, then the kiosk is ready for the next.
function returnAfter(seconds) {
  clearTimeout(resetTimer);
  clearInterval(countdown);
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    $("returning").textContent = t("returning", { seconds: left });
  };
  tick();
  countdown = setInterval(tick, 1000);
  resetTimer = setTimeout(reset, seconds * 1000);
}

function reset() {
  clearTimeout(resetTimer);
  clearInterval(countdown);
  chosenService = null;
  pendingPriority = null;
  shownJob = null;
  $("step-result").classList.remove("screen-ticket");
  $("print-trouble").hidden = true;
  $("returning").textContent = "";
  message("");
  show("step-service");
  backToVietnamese();
}

// The next citizen finds the kiosk in Vietnamese. The page is loaded again only while the
// server answers: a kiosk must never be left on the browser's own error page.
async function backToVietnamese() {
  if (lang === "vi") return;
  try {
    const health = await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(3000) });
    if (health.ok) {
      window.location.replace(root.dataset.homeUrl);
      return;
    }
  } catch {
    // the server is away: try again shortly
  }
  setTimeout(backToVietnamese, 5000);
}

// The language switch is a link; followed only while the server answers (as above).
$("language").addEventListener("click", async (event) => {
  event.preventDefault();
  const href = event.currentTarget.href;
  try {
    const health = await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(3000) });
    if (health.ok) {
      window.location.assign(href);
      return;
    }
  } catch {
    // fall through
  }
  setOnline(false);
});

function idle() {
  const away = !$("step-priority").hidden || !$("step-warning").hidden || (lang !== "vi" && $("step-result").hidden);
  if (away) reset();
}
function touched() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(idle, IDLE_SECONDS * 1000);
}
document.addEventListener("pointerdown", touched);
touched();

$("back").addEventListener("click", reset);
$("done").addEventListener("click", reset);
$("no-priority").addEventListener("click", () => warnFirst(null));
$("take-anyway").addEventListener("click", () => issue(pendingPriority));
$("come-back").addEventListener("click", reset);

window.xephangKiosk = { reset };

const live = connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/kiosk/snapshot", { headers }),
  onSnapshot: renderServices, // and every `state` the server pushes (counts, estimates, hours)
  onStatus: (connected, error) => {
    // Refused (its token is unknown or revoked): not a lost connection, and not the
    // citizen's business how; they are told where to get a number.
    const refused = !connected && Boolean(error && ([401, 403].includes(error.status) || error.data));
    $("out-of-service").hidden = !refused;
    document.querySelector("#kiosk > main").hidden = refused;
    $("out-of-service-reason").textContent = refused ? trouble(error) : "";
    $("connection").textContent = connected || refused ? "" : trouble(error);
    if (!connected) setOnline(false, refused);
  },
});

// The server cut the connection (the kiosk was revoked or paired again): Socket.IO does not
// reconnect by itself then, so ask for the snapshot, whose refusal says why.
live.socket.on("disconnect", (reason) => {
  if (reason === "io server disconnect") live.refresh();
});

live.socket.on("printing", (job) => {
  if (shownJob && job.job_id === shownJob && !$("step-result").hidden) showPrinting(job);
});
