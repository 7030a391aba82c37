// Deciding approvals from their cards (the approvals page, a run's page): data as JSON,
// checked here first, and a reason, sent through the API's
// `POST /api/v1/approvals/{hook}/{decision}`; cards redrawn from the server's own page.
const { api, localTimes } = await import(document.querySelector("script[data-app]").dataset.app);

export const DONE = { approve: "Approved", reject: "Rejected", escalate: "Escalated" };

function parseData(text) {
  if (!text.trim()) return { value: null };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: `Data is not JSON: ${error.message}. Leave it empty for none.` };
  }
}

async function decide(form, decision, onDecided) {
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
    const what = card.dataset.what;
    card.remove();
    onDecided(`${DONE[decision]}: ${what}.`);
  } catch (error) {
    const more = (error.problems || []).join("; ");
    problem.textContent = `${error.message}${more ? ": " + more : ""}`;
    buttons.forEach((b) => (b.disabled = false));
  }
}

// Every decision form under `root` decides through the API; `onDecided(message)` after.
export function attach(root, onDecided) {
  for (const form of root.querySelectorAll("form[data-decide]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      decide(form, event.submitter ? event.submitter.value : "approve", onDecided);
    });
  }
}

// The cards of `list` ([data-approvals]) as the server's page at `url` has them now.
// What a person is typing stays: only cards not shown yet are added, decided ones go.
// Answers whether any card is shown.
export async function redraw(list, url, onDecided) {
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  if (!response.ok) throw new Error(response.statusText);
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const cards = fresh.querySelector("[data-approvals]");
  const hooks = (root) => [...root.querySelectorAll("[data-hook]")];
  const shown = new Map(hooks(list).map((c) => [c.dataset.hook, c]));
  const wanted = new Set(cards ? hooks(cards).map((c) => c.dataset.hook) : []);
  for (const [hook, card] of shown) if (!wanted.has(hook)) card.remove();
  for (const card of cards ? cards.querySelectorAll("[data-hook]") : []) {
    if (shown.has(card.dataset.hook)) continue;
    const added = document.importNode(card, true);
    list.append(added);
    attach(added, onDecided);
    localTimes(added);
  }
  const none = list.querySelector("[data-none]");
  const any = Boolean(list.querySelector("[data-hook]"));
  if (any) none?.remove();
  else if (!none && cards?.querySelector("[data-none]")) {
    list.append(document.importNode(cards.querySelector("[data-none]"), true));
  }
  return any;
}
