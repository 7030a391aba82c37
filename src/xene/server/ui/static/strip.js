// The strips of recent runs on the workflows pages, kept live: a run of a pipeline shown
// here that changes state recolours its box, a new one is added at the right (the
// oldest dropped past the strip's length). Read-only: every viewer gets it.
const tag = document.querySelector("script[data-strip-app]");
const { listen } = await import(tag.dataset.stripApp);
const LENGTH = Number(tag.dataset.length || 20);

function box(run, state) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/runs/${encodeURIComponent(run)}`;
  const label = document.createElement("span");
  label.className = "visually-hidden";
  link.append(label);
  item.append(link);
  paint(link, run, state);
  return item;
}

function paint(link, run, state) {
  link.className = `state-${state}`;
  link.title = `${run}: ${state}`;
  link.querySelector(".visually-hidden").textContent = `${run}: ${state}`;
}

function changed(change) {
  const key = `${change.workflow}/${change.pipeline}`;
  for (const strip of document.querySelectorAll("[data-strip]")) {
    if (strip.dataset.strip !== key) continue;
    const known = strip.querySelector(`a[href="/runs/${CSS.escape(encodeURIComponent(change.run))}"]`);
    if (known) {
      paint(known, change.run, change.state);
      continue;
    }
    let list = strip.querySelector("ol.strip");
    if (!list) {
      list = document.createElement("ol");
      list.className = "strip";
      list.setAttribute("aria-label", "Recent runs, oldest first");
      strip.replaceChildren(list);
    }
    list.append(box(change.run, change.state));
    while (list.children.length > LENGTH) list.firstElementChild.remove();
  }
}

const source = listen("/api/v1/events", { run: changed });
source.addEventListener("open", () => (document.body.dataset.live = "on"));
source.addEventListener("error", () => delete document.body.dataset.live);
