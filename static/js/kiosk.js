// The kiosk: service -> optional priority -> number. It shows only numbers the server
// issued; when the server cannot be reached it says so and keeps retrying. A citizen may
// switch it to English; once they are done (or walk away) it comes back to Vietnamese.
import { connectLive, trouble, failure, el, fetchJson, lang, t, inLanguage } from "./live.js";

const root = document.getElementById("kiosk");
const token = root.dataset.device || localStorage.getItem("xephang.kiosk.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.kiosk.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const RESULT_SECONDS = 15;
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

const $ = (id) => document.getElementById(id);

function show(step) {
  for (const id of ["step-service", "step-priority", "step-result"]) $(id).hidden = id !== step;
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
    button.disabled = !value || issuing;
  }
}

function renderServices(snapshot) {
  $("site-name").textContent = snapshot.site.name;
  const grid = $("services");
  grid.replaceChildren(
    ...snapshot.services.map((service) =>
      el(
        "button",
        { type: "button", class: "service", "data-service-id": service.id, onclick: () => choose(service) },
        el("img", { src: `/static/pictograms/${service.pictogram || "default"}.svg`, alt: "", class: "pictogram" }),
        el("span", { class: "name" }, inLanguage(service, "name")),
        el("span", { class: "meta" }, t("waiting", { waiting: service.waiting, minutes: service.estimated_wait_minutes })),
      ),
    ),
  );
  $("priorities").replaceChildren(
    ...snapshot.priorities.map((p) =>
      el("button", { type: "button", class: "big", "data-priority": p.code, onclick: () => issue(p.code) }, inLanguage(p, "name")),
    ),
  );
  setOnline(true);
}

function choose(service) {
  chosenService = service;
  message("");
  $("chosen-service").textContent = inLanguage(service, "name");
  show("step-priority");
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
  $("result-wait").textContent = t("wait", { minutes: ticket.estimated_wait_minutes });
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
  const words = { queued: t("printing"), printing: t("printing"), printed: t("printed") };
  $("print-status").textContent = words[status] || "";
  $("print-status").hidden = !words[status];
  returnAfter(failed ? SCREEN_TICKET_SECONDS : RESULT_SECONDS);
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
  const away = !$("step-priority").hidden || (lang !== "vi" && $("step-result").hidden);
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
$("no-priority").addEventListener("click", () => issue(null));

window.xephangKiosk = { reset };

const live = connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/kiosk/snapshot", { headers }),
  onSnapshot: renderServices,
  onChange: () => live.refresh(), // waiting counts and estimates changed
  onStatus: (connected, error) => {
    $("connection").textContent = connected ? "" : trouble(error);
    if (!connected) setOnline(false, Boolean(error && (error.status || error.data)));
  },
});

live.socket.on("printing", (job) => {
  if (shownJob && job.job_id === shownJob && !$("step-result").hidden) showPrinting(job);
});
