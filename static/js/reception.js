// The reception screen: a guide issues a number for a citizen, with the priority category
// they checked, printed on a kiosk's printer or shown here with its QR code. The services'
// queues are read again every half minute and after each number: no live connection is
// needed for that.
import { el, failure, fetchJson, inLanguage, refusalText, t } from "./live.js";
import { sayWait, sayWarning, waitOf } from "./waits.js";

const root = document.getElementById("reception");
const siteId = root.dataset.siteId;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const REFRESH_SECONDS = 30;
const PRINTER_KEY = `xephang.reception.printer.${siteId}`;
let issuing = false;
let timeZone = "Asia/Ho_Chi_Minh";

function message(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
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

function renderPriorities(priorities) {
  const box = $("priorities");
  if (box.querySelectorAll("input").length > 1) return; // drawn once: keep the guide's choice
  for (const p of priorities) {
    box.append(el("label", {}, el("input", { type: "radio", name: "priority", value: p.code }), ` ${inLanguage(p, "name")}`));
  }
}

function renderPrinters(printers) {
  const select = $("print-kiosk");
  const chosen = select.value || localStorage.getItem(PRINTER_KEY) || "";
  const none = select.options[0];
  select.replaceChildren(
    none,
    ...printers.map((p) => el("option", { value: p.id, selected: String(p.id) === chosen }, p.name)),
  );
}

function render(snapshot) {
  timeZone = (snapshot.site && snapshot.site.timezone) || timeZone;
  renderPriorities(snapshot.priorities);
  renderPrinters(snapshot.printers);
  $("services").replaceChildren(
    ...snapshot.services.map((service) => {
      const why = notIssuing(service);
      const name = inLanguage(service, "name");
      const wait = waitOf(service);
      // The guide tells the citizen before issuing: "may not be called before 11:30".
      const late = why ? "" : sayWarning(wait, new Date(), timeZone);
      return el(
        "button",
        {
          type: "button",
          class: why ? "service unavailable" : "service",
          "data-service-id": service.id,
          disabled: Boolean(why) || issuing,
          onclick: () => issue(service),
        },
        el("span", { class: "name" }, name),
        late ? el("span", { class: "wait-warning" }, late) : null,
        el("span", { class: "meta" }, why || t("waiting", { waiting: service.waiting, wait: sayWait(wait, service.waiting) })),
      );
    }),
  );
}

async function load() {
  try {
    render(await fetchJson(`/api/reception/sites/${siteId}`));
  } catch (error) {
    message(failure(error));
  }
}

function printText(printing, kiosk) {
  if (printing.status === "none") return t("not_printed");
  if (printing.status === "failed") return t("print_failed", { kiosk, reason: refusalText(printing) });
  if (printing.status === "printed") return t("printed", { kiosk });
  return t("printing", { kiosk });
}

function showResult(ticket, printing, kiosk) {
  $("no-result").hidden = true;
  $("result").hidden = false;
  $("result-number").textContent = ticket.number;
  $("result-service").textContent = inLanguage(ticket, "service_name");
  const priority = document.querySelector("#priorities input:checked");
  const named = priority && priority.value ? priority.parentElement.textContent.trim() : "";
  $("result-priority").textContent = named ? t("priority_named", { name: named }) : "";
  $("result-priority").hidden = !named;
  $("result-ahead").textContent = t("ahead", { n: ticket.people_ahead });
  const wait = waitOf(ticket);
  $("result-wait").textContent = t("wait", { wait: sayWait(wait, ticket.people_ahead) });
  $("result-warning").textContent = sayWarning(wait, new Date(), timeZone);
  $("result-warning").hidden = !$("result-warning").textContent;
  $("result-qr").src = ticket.qr_url;
  $("print-status").textContent = printText(printing, kiosk);
  $("print-status").className = printing.status === "failed" ? "error" : "";
}

async function issue(service) {
  if (issuing) return;
  issuing = true;
  message("");
  const priority = document.querySelector("#priorities input:checked");
  const select = $("print-kiosk");
  const kiosk = select.value ? select.selectedOptions[0].textContent : "";
  localStorage.setItem(PRINTER_KEY, select.value);
  try {
    const answer = await fetchJson(`/api/reception/sites/${siteId}/tickets`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({
        service_id: service.id,
        priority: priority && priority.value ? priority.value : null,
        device_id: select.value ? Number(select.value) : null,
      }),
    });
    showResult(answer.ticket, answer.printing, kiosk);
    // The next citizen starts with no priority: a category is never carried over by mistake.
    document.querySelector('#priorities input[value=""]').checked = true;
  } catch (error) {
    message(failure(error, t("not_done")));
  } finally {
    issuing = false;
    load();
  }
}

if (siteId) {
  load();
  setInterval(load, REFRESH_SECONDS * 1000);
}
