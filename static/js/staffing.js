// The staffing plan (templates/manager/staffing.html): the page is complete without this
// script; it only wires the print button.
document.getElementById("print")?.addEventListener("click", () => window.print());
