// Approvals (/approvals): decide through the API (data as JSON, checked here first, and a
// reason); a decided approval's card goes; new waits appear as runs change (the list
// redrawn from the server's own page).
const { api, listen, localTimes } = await import(
  document.querySelector("script[data-app]").dataset.app
);

const DONE = { approve: "Approved", reject: "Rejected", escalate: "Escalated" };
const list = document.querySelector("[data-approvals]");
const status = document.querySelector("[data-live-status]");

function parseData(text) {
  if (!text.trim()) return { value: null };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `Data is not JSON: ${error.message}. Leave it empty for none.` };
  }
}

async function decide(form, decision) {
  const problem = form.querySelector("[data-problem]");
  const field = form.querySelector("textarea[name=data]");
  const parsed = parseData(field.value);
  problem.textContent = "";
  field.removeAttribute("aria-invalid");
  if (parsed.problem) {
    problem.textContent = parsed.problem;
    field.setAttribute("aria-invalid", "true");
    field.focus();
    return;
  }
  const hook = form.dataset.decide;
  const reason = form.querySelector("input[name=reason]").value;
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    await api("POST", `/api/v1/approvals/${encodeURIComponent(hook)}/${decision}`, {
      data: parsed.value,
      reason,
    });
    const card = form.closest("[data-hook]");
    const what = card.querySelector("h2").textContent;
    card.remove();
    status.textContent = `${DONE[decision]}: ${what}.`;
    if (!list.querySelector("[data-hook]")) redraw();
  } catch (error) {
    const more = (error.problems || []).join("; ");
    problem.textContent = `${error.message}${more ? ": " + more : ""}`;
    buttons.forEach((b) => (b.disabled = false));
  }
}

function attach(root) {
  for (const form of root.querySelectorAll("form[data-decide]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      decide(form, event.submitter ? event.submitter.value : "approve");
    });
  }
}

let pending = null;

async function redraw() {
  pending = null;
  try {
    const response = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(response.statusText);
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const cards = fresh.querySelector("[data-approvals]");
    // Keep what a person is typing: only cards not shown yet are added, decided ones go.
    const hooks = (root) => [...root.querySelectorAll("[data-hook]")];
    const shown = new Map(hooks(list).map((c) => [c.dataset.hook, c]));
    const wanted = new Set(hooks(cards).map((c) => c.dataset.hook));
    for (const [hook, card] of shown) if (!wanted.has(hook)) card.remove();
    for (const card of cards.querySelectorAll("[data-hook]")) {
      if (shown.has(card.dataset.hook)) continue;
      const added = document.importNode(card, true);
      list.append(added);
      attach(added);
      localTimes(added);
    }
    const none = list.querySelector("[data-none]");
    if (list.querySelector("[data-hook]")) none?.remove();
    else if (!none && cards.querySelector("[data-none]")) {
      list.append(document.importNode(cards.querySelector("[data-none]"), true));
    }
  } catch (error) {
    status.textContent = `Live updates paused: ${error.message}. Reload the page.`;
  }
}

attach(document);
listen("/api/v1/events", {
  run: () => {
    if (pending === null) pending = setTimeout(redraw, 250);
  },
});
