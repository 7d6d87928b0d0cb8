// The kiosk: service -> optional priority -> number. It shows only numbers the server
// issued; when the server cannot be reached it says so and keeps retrying.
import { connectLive, trouble, el, fetchJson } from "./live.js";

const root = document.getElementById("kiosk");
const token = root.dataset.device || localStorage.getItem("xephang.kiosk.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.kiosk.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const RESULT_SECONDS = 20;
// When the paper did not come out the screen is the ticket: long enough to photograph it.
const SCREEN_TICKET_SECONDS = 60;

let chosenService = null;
let resetTimer = null;
let shownJob = null; // the print job of the ticket on screen, if it is being printed

const $ = (id) => document.getElementById(id);

function show(step) {
  for (const id of ["step-service", "step-priority", "step-result"]) $(id).hidden = id !== step;
}

function message(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
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
        el("span", { class: "name" }, service.name_vi),
        el("span", { class: "meta" }, `Đang chờ: ${service.waiting} · khoảng ${service.estimated_wait_minutes} phút`),
      ),
    ),
  );
  $("priorities").replaceChildren(
    ...snapshot.priorities.map((p) =>
      el("button", { type: "button", class: "big", "data-priority": p.code, onclick: () => issue(p.code) }, p.name_vi),
    ),
  );
}

function choose(service) {
  chosenService = service;
  message("");
  show("step-priority");
}

async function issue(priority) {
  if (!chosenService) return;
  message("");
  try {
    const body = await fetchJson("/api/kiosk/tickets", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ service_id: chosenService.id, priority }),
    });
    showResult(body.ticket, body.printing);
  } catch (error) {
    message(error.status ? error.message : "Không kết nối được máy chủ. Vui lòng thử lại hoặc hỏi cán bộ.");
    show("step-service");
  }
}

function showResult(ticket, printing) {
  $("result-number").textContent = ticket.number;
  $("result-service").textContent = ticket.service_name_vi;
  $("result-priority").hidden = !ticket.priority;
  $("result-ahead").textContent = `Trước bạn: ${ticket.people_ahead} người`;
  $("result-wait").textContent = `Thời gian chờ dự kiến: ${ticket.estimated_wait_minutes} phút`;
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
  const words = { queued: "Đang in vé…", printing: "Đang in vé…", printed: "Mời bạn nhận vé in." };
  $("print-status").textContent = words[status] || "";
  $("print-status").hidden = !words[status];
  clearTimeout(resetTimer);
  resetTimer = setTimeout(reset, (failed ? SCREEN_TICKET_SECONDS : RESULT_SECONDS) * 1000);
}

function reset() {
  clearTimeout(resetTimer);
  chosenService = null;
  shownJob = null;
  $("step-result").classList.remove("screen-ticket");
  $("print-trouble").hidden = true;
  show("step-service");
}

$("back").addEventListener("click", reset);
$("done").addEventListener("click", reset);
$("no-priority").addEventListener("click", () => issue(null));

const live = connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/kiosk/snapshot", { headers }),
  onSnapshot: renderServices,
  onChange: () => live.refresh(), // waiting counts and estimates changed
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});

live.socket.on("printing", (job) => {
  if (shownJob && job.job_id === shownJob && !$("step-result").hidden) showPrinting(job);
});
