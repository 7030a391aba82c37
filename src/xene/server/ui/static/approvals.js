// Approvals (/approvals): each waiting node's card decides it (decide.js); a decided
// card goes; new waits appear as runs change (the cards redrawn from the server's page).
const { listen } = await import(document.querySelector("script[data-app]").dataset.app);
const { attach, redraw } = await import(document.querySelector("script[data-decide]").dataset.decide);

const list = document.querySelector("[data-approvals]");
const status = document.querySelector("[data-live-status]");
let pending = null;

function decided(message) {
  status.textContent = message;
  if (!list.querySelector("[data-hook]")) later();
}

function later() {
  if (pending === null) pending = setTimeout(refresh, 250);
}

async function refresh() {
  pending = null;
  try {
    await redraw(list, location.href, decided);
  } catch (error) {
    status.textContent = `Live updates paused: ${error.message}. Reload the page.`;
  }
}

attach(document, decided);
listen("/api/v1/events", { run: later });
