// The citizen's phone page: position and estimated wait, live; "your turn" when called.
import { connectLive, trouble, fetchJson } from "./live.js";

const root = document.getElementById("phone");
const token = root.dataset.token;
const $ = (id) => document.getElementById(id);
const ENDED = {
  done: "Bạn đã được phục vụ xong. Cảm ơn bạn!",
  no_show: "Số của bạn đã được gọi nhưng bạn vắng mặt. Vui lòng liên hệ cán bộ.",
  cancelled: "Số này đã được huỷ.",
  expired: "Số này đã hết hạn.",
  serving: "Bạn đang được phục vụ.",
};
let serviceId = null;

function render(snapshot) {
  const ticket = snapshot.ticket;
  serviceId = ticket.service_id;
  $("site-name").textContent = snapshot.site.name;
  $("number").textContent = ticket.number;
  $("service").textContent = ticket.service_name_vi;
  $("waiting-state").hidden = ticket.status !== "waiting";
  $("called-state").hidden = ticket.status !== "called";
  $("ahead").textContent = ticket.people_ahead;
  $("wait").textContent = ticket.estimated_wait_minutes;
  $("counter-number").textContent = ticket.counter_number ?? "";
  $("status-text").textContent = ENDED[ticket.status] || "";
  $("cancel").hidden = ticket.status !== "waiting";
  if (ticket.status === "called" && navigator.vibrate) navigator.vibrate([300, 100, 300]);
}

$("cancel").addEventListener("click", async () => {
  if (!window.confirm("Bạn chắc chắn muốn huỷ số thứ tự này?")) return;
  try {
    await fetchJson(`/api/tickets/${token}/cancel`, { method: "POST" });
  } catch (error) {
    $("status-text").textContent = error.message;
  }
  live.refresh();
});

const live = connectLive({
  auth: { ticket: token },
  load: () => fetchJson(`/api/tickets/${token}`),
  onSnapshot: render,
  // Another ticket's change matters only if it is in this ticket's queue.
  onChange: (change) => {
    if (change.service_ids.includes(serviceId)) live.refresh();
  },
  onTicket: () => live.refresh(),
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
