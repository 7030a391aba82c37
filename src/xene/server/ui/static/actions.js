// The write controls of the workflows, agents and state-machine pages: buttons that
// POST to one of the API's routes (`data-post`), then reload the page to show what
// changed (or go to `data-go`, with `{id}` the answer's id); and the "Run now" forms.
// Errors are shown beside the control (`data-problem` names the element).
const tag = document.querySelector("script[data-app]");
const { api } = await import(tag.dataset.app);

function show(region, error) {
  if (!region) return;
  region.replaceChildren(document.createTextNode(error.message || String(error)));
  const problems = error.problems || [];
  if (problems.length) {
    const list = document.createElement("ul");
    for (const problem of problems) {
      const item = document.createElement("li");
      item.textContent = problem;
      list.append(item);
    }
    region.append(list);
  }
  region.hidden = false;
}

function clear(region) {
  if (!region) return;
  region.hidden = true;
  region.replaceChildren();
}

for (const button of document.querySelectorAll("button[data-post]")) {
  const region = document.getElementById(button.dataset.problem);
  button.addEventListener("click", async () => {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    clear(region);
    button.disabled = true;
    try {
      const answer = await api("POST", button.dataset.post);
      if (button.dataset.go && answer && answer.id) {
        location.assign(button.dataset.go.replace("{id}", encodeURIComponent(answer.id)));
      } else {
        location.reload();
      }
    } catch (error) {
      show(region, error);
      button.disabled = false;
    }
  });
}

// The input as JSON, or an error saying where it is not (none given: no input).
function parsed(text) {
  if (!text.trim()) return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `The input is not JSON: ${error.message}` };
  }
}

for (const form of document.querySelectorAll("form[data-run-now]")) {
  const field = form.querySelector("textarea");
  const region = document.getElementById(field.getAttribute("aria-describedby"));
  const check = () => {
    const { error } = parsed(field.value);
    field.setAttribute("aria-invalid", error ? "true" : "false");
    if (error) show(region, new Error(error));
    else clear(region);
    return !error;
  };
  field.addEventListener("blur", check);
  field.addEventListener("input", () => {
    if (field.getAttribute("aria-invalid") === "true") check();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!check()) {
      field.focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await api("POST", form.dataset.runNow, parsed(field.value).value);
      location.assign(`/runs/${encodeURIComponent(answer.run_id)}`);
    } catch (error) {
      show(region, error);
      button.disabled = false;
    }
  });
}
