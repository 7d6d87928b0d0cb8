// Charts beside the statistics tables (the tables are the page itself, rendered by the
// server, so the page prints and reads without this script). Chart.js comes from npm and
// is served by our own server.
/* global Chart */
import { fetchJson, inLanguage, locale, t } from "./live.js";

const charts = document.getElementById("charts");
const BRAND = "#b3261e";
const BLUE = "#1565c0";
const GREY = "#8a8a8a";

document.getElementById("print")?.addEventListener("click", () => window.print());

function draw(id, config) {
  const canvas = document.getElementById(id);
  if (!canvas) return null;
  // Printing: no animation, so the printed page holds the final bars. Numbers on the axes
  // and in the tooltips as the page's language writes them (4,5 in Vietnamese).
  return new Chart(canvas, {
    ...config,
    options: { animation: false, responsive: true, maintainAspectRatio: false, locale, ...config.options },
  });
}

function render(report) {
  const hours = report.by_hour;
  draw("chart-hour", {
    data: {
      labels: hours.map((h) => inLanguage(h, "label").slice(0, 5)),
      datasets: [
        { type: "bar", label: t("issued"), data: hours.map((h) => h.issued), backgroundColor: BLUE, yAxisID: "count" },
        {
          type: "line",
          label: t("mean_wait"),
          data: hours.map((h) => h.wait.mean),
          borderColor: BRAND,
          backgroundColor: BRAND,
          yAxisID: "minutes",
        },
      ],
    },
    options: {
      scales: {
        count: { type: "linear", position: "left", beginAtZero: true },
        minutes: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
      },
    },
  });
  const days = report.by_day;
  draw("chart-day", {
    type: "line",
    data: {
      labels: days.map((d) => inLanguage(d, "label").slice(0, 5)),
      datasets: [
        { label: t("issued"), data: days.map((d) => d.issued), borderColor: BLUE, backgroundColor: BLUE, pointRadius: days.length > 62 ? 0 : 3 },
        { label: t("served"), data: days.map((d) => d.served), borderColor: GREY, backgroundColor: GREY, pointRadius: days.length > 62 ? 0 : 3 },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  const services = report.by_service;
  draw("chart-service", {
    type: "bar",
    data: {
      labels: services.map((s) => inLanguage(s, "label")),
      datasets: [
        { label: t("median"), data: services.map((s) => s.wait.median), backgroundColor: BLUE },
        { label: t("p90"), data: services.map((s) => s.wait.p90), backgroundColor: BRAND },
      ],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true } } },
  });
  charts.dataset.drawn = "true";
}

if (charts && charts.dataset.api && typeof Chart !== "undefined") {
  fetchJson(charts.dataset.api)
    .then(render)
    .catch(() => {
      charts.dataset.drawn = "failed";
    });
}
