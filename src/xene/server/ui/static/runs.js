// The runs list (/runs): times typed in the viewer's zone sent as UTC, empty filters left
// out of the URL, and the table kept live: a run's event redraws the rows from the
// server's own page (one rendering, the template's), at most a few times a second.
const { listen, localTimes } = await import(
  document.querySelector("script[data-app]").dataset.app
);

const form = document.querySelector("[data-run-filters]");
const table = document.querySelector("[data-runs]");
const status = document.querySelector("[data-live-status]");

function pad(n) {
  return String(n).padStart(2, "0");
}

// An ISO time (UTC unless it names its offset, as the server reads it) as a
// datetime-local value in the viewer's zone.
function localValue(text) {
  const hasZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text);
  const when = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000)
    : new Date(hasZone ? text : text + "Z");
  if (isNaN(when)) return "";
  return `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}` +
    `T${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
}

function filters() {
  const asked = new URLSearchParams(location.search);
  for (const input of form.querySelectorAll("input[data-utc]")) {
    const given = asked.get(input.name);
    input.value = given ? localValue(given) : "";
  }
  form.addEventListener("formdata", (event) => {
    for (const [name, value] of [...event.formData.entries()]) {
      if (!value) event.formData.delete(name);
    }
    for (const input of form.querySelectorAll("input[data-utc]")) {
      if (!input.value) continue;
      const when = new Date(input.value); // datetime-local: the viewer's zone
      if (!isNaN(when)) event.formData.set(input.name, when.toISOString().replace(".000Z", "Z"));
    }
  });
}

let pending = null;
let busy = false;

async function redraw() {
  pending = null;
  if (busy) {
    pending = setTimeout(redraw, 250);
    return;
  }
  busy = true;
  try {
    const response = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(response.statusText);
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const rows = fresh.querySelector("[data-run-rows]");
    if (rows) {
      table.querySelector("[data-run-rows]").replaceWith(rows);
      localTimes(rows);
    }
    status.textContent = `Live: updated ${new Date().toLocaleTimeString()}.`;
  } catch (error) {
    status.textContent = `Live updates paused: ${error.message}. Reload the page.`;
  } finally {
    busy = false;
  }
}

function soon() {
  if (pending === null) pending = setTimeout(redraw, 250);
}

// A run on this page changed: its state at once, then the rows. A run not on it: a new
// one appears only on the first page (older pages stay as they were asked for).
function changed(event) {
  const row = table.querySelector(`tr[data-run="${CSS.escape(event.run)}"]`);
  if (row) {
    const cell = row.querySelector("[data-state]");
    cell.textContent = event.state;
    cell.className = `state state-${event.state}`;
    soon();
  } else if (table.hasAttribute("data-first-page")) {
    soon();
  }
}

filters();
const source = listen("/api/v1/events", { run: changed });
source.addEventListener("open", () => {
  status.textContent = "Live: new runs and changes appear as they happen.";
});
source.addEventListener("lagging", () => soon());
