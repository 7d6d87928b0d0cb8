// The phone page's messages by SMS or Zalo and its second chance (issue 15): opt in with a
// phone number (consent never pre-ticked), take it back, rejoin after a missed turn, ask
// for more time once. Words come from #i18n-notify (templates/_notify.html); errors come
// bilingual from the server. The page's own script (phone.js) tells this one the ticket's
// status with a "ticket-status" event on document, detail {status}, after each snapshot.

const box = document.getElementById("sms-box"); // absent when the server has no channel
const token = document.getElementById("phone")?.dataset.token ?? null;
const english = document.documentElement.lang === "en";
let words = {};
try {
  words = JSON.parse(document.getElementById("i18n-notify").textContent);
} catch {
  words = {};
}

function say(id, text) {
  const place = document.getElementById(id);
  if (place) place.textContent = text;
}

async function send(method, path, body) {
  const response = await fetch(`/api/tickets/${token}/${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    answer = {};
  }
  if (!response.ok) {
    throw new Error((english ? answer.message_en : answer.message) || words.failed || "");
  }
  return answer;
}

function show(status) {
  const rejoin = document.getElementById("rejoin");
  const later = document.getElementById("more-time");
  if (rejoin) rejoin.hidden = status !== "no_show";
  if (later) later.hidden = status !== "waiting";
  if (box) box.hidden = !["waiting", "called", "no_show"].includes(status);
}

if (token && box) {
  document.getElementById("sms-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const phone = document.getElementById("sms-phone").value;
    const consent = document.getElementById("sms-consent").checked;
    try {
      const done = await send("POST", "notify", {
        phone,
        consent,
        language: english ? "en" : "vi",
      });
      say("sms-state", (words.subscribed || "").replace("{phone}", done.phone_masked));
      document.getElementById("sms-stop").hidden = false;
    } catch (error) {
      say("sms-state", error.message);
    }
  });
  document.getElementById("sms-stop").addEventListener("click", async () => {
    try {
      await send("DELETE", "notify");
      say("sms-state", words.stopped || "");
      document.getElementById("sms-stop").hidden = true;
    } catch (error) {
      say("sms-state", error.message);
    }
  });
}

if (token) {
  document.getElementById("rejoin").addEventListener("click", async () => {
    try {
      const done = await send("POST", "rejoin");
      say("second-chance-state", (words.rejoined || "").replace("{number}", done.ticket.number));
      show(done.ticket.status);
    } catch (error) {
      say("second-chance-state", error.message);
    }
  });
  document.getElementById("more-time").addEventListener("click", async () => {
    try {
      await send("POST", "more-time");
      say("second-chance-state", words.moved_back || "");
      document.getElementById("more-time").hidden = true;
    } catch (error) {
      say("second-chance-state", error.message);
    }
  });
  document.addEventListener("ticket-status", (event) => show(event.detail.status));
}
