// The rating tablet of a counter: when the clerk finishes a ticket it asks that citizen how
// satisfied they are (four faces), thanks them, and waits for the next one. It hears only
// its own counter's changes, so gaps in the sequence are normal: each change makes it fetch
// its state, which names the ticket to ask about, if any. A reload or a reconnect asks
// again only within the first minute after the finish.
import { connectLive, trouble, fetchJson } from "./live.js";

const root = document.getElementById("rating");
const token = root.dataset.device || localStorage.getItem("xephang.rating.device") || "";
if (root.dataset.device) localStorage.setItem("xephang.rating.device", root.dataset.device);
const headers = { "X-Device-Token": token };
const ASK_SECONDS = 60; // back to waiting after a minute without a tap
const THANKS_SECONDS = 5;
const MESSAGE_SECONDS = 8;

let asking = null; // the ticket whose faces are on screen
const finishedWith = new Set(); // tickets rated or given up on here: never asked again
let sending = false;
let timer = null;
let messageTimer = null;

const $ = (id) => document.getElementById(id);

function show(step) {
  for (const id of ["step-idle", "step-ask", "step-thanks"]) $(id).hidden = id !== step;
}

function message(text) {
  clearTimeout(messageTimer);
  $("message").textContent = text || "";
  $("message").hidden = !text;
  if (text) messageTimer = setTimeout(() => message(""), MESSAGE_SECONDS * 1000);
}

function after(seconds, then) {
  clearTimeout(timer);
  timer = setTimeout(then, seconds * 1000);
}

function idle() {
  clearTimeout(timer);
  if (asking) finishedWith.add(asking.id);
  asking = null;
  show("step-idle");
}

function ask(ticket, secondsLeft) {
  if (asking && asking.id === ticket.id) return; // already asking: the minute keeps running
  asking = ticket;
  $("ask-number").textContent = ticket.number;
  message("");
  show("step-ask");
  after(secondsLeft, idle);
}

function thank(ticket) {
  finishedWith.add(ticket.id);
  asking = null;
  show("step-thanks");
  after(THANKS_SECONDS, () => {
    idle();
    live.refresh(); // a finish heard while thanking was left for now
  });
}

function render(state) {
  $("counter-number").textContent = state.counter.number;
  if (sending || !$("step-thanks").hidden) return; // a tap is on its way, or being thanked
  const ticket = state.ticket;
  const secondsLeft = ticket ? ASK_SECONDS - ticket.finished_seconds_ago : 0;
  if (secondsLeft > 0 && !finishedWith.has(ticket.id)) ask(ticket, secondsLeft);
  else if (asking) idle(); // rated on another tablet, or too late now
}

async function rate(value) {
  if (!asking || sending) return;
  sending = true;
  const ticket = asking;
  try {
    await fetchJson("/api/rating", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ ticket_id: ticket.id, rating: value }),
    });
    thank(ticket);
  } catch (error) {
    if (error.status) {
      // Refused (already rated, too late): nothing more to ask about this ticket.
      idle();
      message(error.message);
    } else {
      message("Không gửi được, xin chạm lại. · Could not send; please tap again.");
    }
  } finally {
    sending = false;
  }
}

for (const button of document.querySelectorAll("button.rating-face")) {
  button.addEventListener("click", () => rate(button.dataset.rating));
}

const live = connectLive({
  auth: { device: token },
  load: () => fetchJson("/api/rating/state", { headers }),
  onSnapshot: render,
  onChange: () => live.refresh(),
  onStatus: (online, error) => {
    $("connection").textContent = online ? "" : trouble(error);
  },
});
