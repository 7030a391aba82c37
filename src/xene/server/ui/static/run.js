// A run's page: the graph, node details, the timeline and live logs, kept live over the
// API's events (polling the run only when the events stream is unavailable). Every
// write goes through the API's own routes (cancel, retry), by app.js's `api`.
const tag = document.querySelector("script[data-run-page]");
const data = JSON.parse(document.getElementById("run-data").textContent);
const graph = window.xeneLaying?.graph ?? null; // run_start.js read it, and lays it out
const [{ api, listen, localTimes, seconds }, graphView, timeline, { LogView }, decisions] = await Promise.all(
  [tag.dataset.app, tag.dataset.graph, tag.dataset.timeline, tag.dataset.logs, tag.dataset.decide]
    .map((url) => import(url)));

const canWrite = document.querySelector(".run-head").dataset.canWrite === "yes";
const FINAL = new Set(["Success", "Error", "Cancelled", "Skipped", "NotExecuted"]);
const PAGE = 50;

let run = data.run;
const records = new Map(); // record key -> the record as the API gives it
const byNode = new Map(); // pipeline node id -> Set of its record keys
// Nodes run per split item or loop turn, summarised by the server (the page reads the run
// with `group`): their records are paged from `/runs/{id}/nodes/{node}` when looked at.
let groups = new Map();
let selected = null; // { node, key, page }

function index(tree) {
  records.clear();
  byNode.clear();
  for (const record of tree.nodes) remember(record);
  groups = new Map((tree.groups || []).map((g) => [g.node, g]));
}

// How many records the run has, summarised ones too.
const recordCount = () => records.size + [...groups.values()].reduce((n, g) => n + g.total, 0);

function remember(record) {
  records.set(record.key, record);
  if (!byNode.has(record.node)) byNode.set(record.node, new Set());
  byNode.get(record.node).add(record.key);
}

function nodeOfKey(key) {
  const at = key.indexOf("[");
  return at < 0 ? key : key.slice(0, at);
}

// What a box shows: its records' states counted (one record: its own state).
function summary(nodeId) {
  const group = groups.get(nodeId);
  if (group) return { state: worst(group.counts), counts: group.counts, total: group.total, pending: false };
  const keys = byNode.get(nodeId);
  const counts = {};
  if (!keys) return { state: "NotExecuted", counts, total: 0, pending: true };
  for (const key of keys) {
    const state = records.get(key).state;
    counts[state] = (counts[state] || 0) + 1;
  }
  return { state: worst(counts), counts, total: keys.size, pending: false };
}

const ORDER = ["Error", "Running", "Configuring", "Waiting", "WaitingForExecutor",
  "Suspended", "Cancelled", "NotExecuted", "Skipped", "Success"];

function worst(counts) {
  return ORDER.find((state) => counts[state]) || Object.keys(counts)[0] || "NotExecuted";
}

// -- header and actions -----------------------------------------------------------
function showHeader() {
  const state = document.getElementById("run-state");
  state.textContent = run.state;
  state.className = `state state-${run.state}`;
  setTime("run-started", run.started_at);
  setTime("run-ended", run.ended_at);
  document.getElementById("run-duration").textContent =
    run.duration_s == null ? "–" : seconds(run.duration_s);
  const error = document.getElementById("run-error");
  error.textContent = run.error || "";
  error.hidden = !run.error;
  const why = document.getElementById("run-why");
  why.textContent = run.waiting_for || run.owner_gone || "";
  why.hidden = !why.textContent;
  const retries = document.getElementById("run-retries");
  retries.replaceChildren(...run.retries.map(retryLine));
  localTimes(retries);
  const finished = FINAL.has(run.state);
  const cancel = document.getElementById("cancel-run");
  if (cancel) cancel.hidden = finished;
  const retry = document.getElementById("retry-run");
  if (retry) retry.hidden = !retryable();
}

function retryLine(r) {
  const span = document.createElement("span");
  span.append(`Retry ${r.number} by ${r.by}${r.from_node ? ` from ${r.from_node}` : ""} at `);
  span.append(timeOf(r.at), ". ");
  return span;
}

function timeOf(seconds) {
  const time = document.createElement("time");
  time.setAttribute("datetime", new Date(seconds * 1000).toISOString());
  time.textContent = time.getAttribute("datetime");
  return time;
}

function setTime(id, seconds) {
  const cell = document.getElementById(id);
  if (seconds == null) {
    cell.innerHTML = '<span class="muted">not yet</span>';
    return;
  }
  cell.replaceChildren(timeOf(seconds));
  localTimes(cell);
}

const retryable = () => run.state === "Error" || run.state === "Cancelled";

async function act(what, path, body) {
  const problem = document.getElementById("action-problem");
  problem.textContent = "";
  try {
    await api("POST", path, body);
    follow();
    await refresh();
  } catch (error) {
    problem.textContent = `Could not ${what}: ${error.message}`;
  }
}

function wireActions() {
  const base = `/api/v1/runs/${encodeURIComponent(run.id)}`;
  document.getElementById("cancel-run")?.addEventListener("click", () => act("cancel", `${base}/cancel`));
  document.getElementById("retry-run")?.addEventListener("click", () => act("retry", `${base}/retry`, {}));
}

// -- the details of a node or one of its records -------------------------------------
function el(name, attrs = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function select(nodeId, key = null) {
  selected = { node: nodeId, key, page: 0 };
  graphView.highlight(nodeId);
  showDetails();
  document.getElementById("details").focus({ preventScroll: true });
}

let shown = "";

function showDetails(force = true) {
  const body = document.getElementById("details-body");
  if (!selected) return;
  if (groups.has(selected.node)) {
    showGroup(body, groups.get(selected.node), force);
    return;
  }
  const keys = [...(byNode.get(selected.node) || [])];
  // A refresh that changed nothing shown leaves the panel (and the focus in it) alone.
  const seen = selected.key || keys.length === 1 ? [records.get(selected.key || keys[0])] : keys.map((k) => records.get(k).state);
  const now = JSON.stringify([selected, seen, retryable()]);
  if (!force && now === shown) return;
  shown = now;
  const kind = graph?.nodes.find((n) => n.id === selected.node);
  const parts = [el("h3", {}, selected.node, " ", el("small", { class: "muted" }, kind ? kind.type : ""))];
  if (kind && kind.region) parts.push(el("p", { class: "muted" }, `Inside the body of ${kind.region}: once per item or iteration.`));
  const key = selected.key || (keys.length === 1 ? keys[0] : null);
  if (keys.length === 0) parts.push(el("p", { class: "muted" }, "Not run (yet)."));
  else if (key) parts.push(...recordDetails(records.get(key), keys.length > 1));
  else parts.push(...instances(keys));
  body.replaceChildren(...parts);
  localTimes(body);
}

// A summarised node: its counts, and a page of its records read from the server (again
// whenever the counts change); one of them, once picked.
let groupRead = 0;

async function showGroup(body, group, force) {
  const now = JSON.stringify([selected, group.counts, group.total, retryable()]);
  if (!force && now === shown) return;
  shown = now;
  const asked = ++groupRead;
  const pages = Math.max(1, Math.ceil(group.total / PAGE));
  const page = Math.min(selected.page, pages - 1);
  const path = `/api/v1/runs/${encodeURIComponent(run.id)}/nodes/${encodeURIComponent(selected.node)}`;
  let found;
  try {
    found = await api("GET", `${path}?offset=${page * PAGE}&limit=${PAGE}`);
  } catch (error) {
    body.replaceChildren(el("p", { class: "problem" }, `Could not read its records: ${error.message}`));
    return;
  }
  if (asked !== groupRead) return; // another node was picked meanwhile
  for (const record of found.records) records.set(record.key, record);
  const kind = graph?.nodes.find((n) => n.id === selected.node);
  const parts = [el("h3", {}, selected.node, " ", el("small", { class: "muted" }, group.type))];
  if (kind && kind.region) parts.push(el("p", { class: "muted" }, `Inside the body of ${kind.region}: once per item or iteration.`));
  const picked = selected.key && records.get(selected.key);
  if (picked) parts.push(...recordDetails(picked, true));
  else parts.push(...instances(found.records.map((r) => r.key), found.total, page));
  body.replaceChildren(...parts);
  localTimes(body);
}

function instances(keys, total = keys.length, page = null) {
  const s = summary(selected.node);
  const counts = Object.entries(s.counts).map(([state, n]) => el("li", {}, el("span", { class: `state state-${state}` }, state), `: ${n}`));
  const pages = Math.max(1, Math.ceil(total / PAGE));
  if (page === null) { // all its records are here: this page of them
    page = Math.min(selected.page, pages - 1);
    keys = keys.slice(page * PAGE, (page + 1) * PAGE);
  }
  const rows = keys.map((key) => {
    const r = records.get(key);
    const open = el("button", { type: "button", class: "link" }, key);
    open.addEventListener("click", () => { selected.key = key; showDetails(); });
    return el("tr", {}, el("td", {}, open), el("td", {}, el("span", { class: `state state-${r.state}` }, r.state)), el("td", {}, String(r.attempts)));
  });
  const nav = el("div", { class: "pager" });
  if (pages > 1) {
    const prev = el("button", { type: "button" }, "Previous");
    const next = el("button", { type: "button" }, "Next");
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    prev.addEventListener("click", () => { selected.page = page - 1; showDetails(); });
    next.addEventListener("click", () => { selected.page = page + 1; showDetails(); });
    nav.append(prev, ` page ${page + 1} of ${pages} `, next);
  }
  const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Item"), el("th", {}, "State"), el("th", {}, "Attempts"))), el("tbody", {}, ...rows));
  return [el("p", {}, `${total} runs of this node (split items or loop iterations):`), el("ul", { class: "counts" }, ...counts), el("div", { class: "table-wrap" }, table), nav];
}

function recordDetails(r, many) {
  const parts = [];
  if (many) {
    const back = el("button", { type: "button" }, "All items");
    back.addEventListener("click", () => { selected.key = null; showDetails(); });
    parts.push(back, el("p", {}, el("code", {}, r.key)));
  }
  const facts = el("dl", { class: "facts" },
    fact("State", el("span", { class: `state state-${r.state}` }, r.state)),
    fact("Attempts", String(r.attempts)),
    fact("Started", r.started_at ? timeOf(r.started_at) : "–"),
    fact("Duration", r.duration_s == null ? "–" : seconds(r.duration_s)));
  parts.push(facts);
  if (r.error) parts.push(el("h4", {}, "Error"), el("pre", { class: "problem traceback" }, r.error));
  if (r.output !== null && r.output !== undefined) parts.push(el("h4", {}, "Output"), el("pre", { class: "output" }, JSON.stringify(r.output, null, 2)));
  parts.push(steps(r));
  if (canWrite && retryable()) {
    const retry = el("button", { type: "button", "data-retry-from": selected.node }, `Retry from ${selected.node}`);
    retry.addEventListener("click", () => act("retry", `/api/v1/runs/${encodeURIComponent(run.id)}/retry`, { from_node: selected.node }));
    parts.push(retry);
  }
  return parts;
}

function fact(label, value) {
  return el("div", {}, el("dt", {}, label), el("dd", {}, value));
}

function steps(r) {
  const nodeLog = el("button", { type: "button" }, "Node's log");
  nodeLog.addEventListener("click", () => logs.open(r.key, null));
  if (!r.steps.length) return el("div", {}, nodeLog);
  const rows = r.steps.map((s) => {
    const open = el("button", { type: "button", "aria-label": `Log of step ${s.name}` }, "Log");
    open.addEventListener("click", () => logs.open(r.key, s.name));
    return el("tr", {}, el("td", {}, s.name), el("td", {}, el("span", { class: `state state-${s.state}` }, s.state)),
      el("td", {}, s.exit_code == null ? "" : String(s.exit_code)),
      el("td", {}, s.duration_s == null ? "" : seconds(s.duration_s)), el("td", {}, open));
  });
  const head = el("tr", {}, ...["Step", "State", "Exit", "Duration", ""].map((h) => el("th", { scope: "col" }, h)));
  return el("div", {}, el("h4", {}, "Steps"), el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows))), nodeLog);
}

// -- live ---------------------------------------------------------------------------
let refreshing = null;
let again = false;
let lastRefresh = 0;
let timer = null;

async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      run = await api("GET", `/api/v1/runs/${encodeURIComponent(run.id)}?group=true`);
      lastRefresh = performance.now();
      index(run);
      redraw();
    } catch (error) {
      if (error.status === 404) document.getElementById("action-problem")?.replaceChildren("This run is gone: it was deleted.");
    } finally {
      refreshing = null;
      if (again) { again = false; soon(); }
    }
  })();
  return refreshing;
}

// At most one read of the whole run a second (more for a big one): events say at once
// that a node changed, the read brings its steps, outputs and times.
function soon() {
  if (timer) return;
  const gap = Math.max(400, recordCount() / 4);
  const wait = Math.max(0, lastRefresh + gap - performance.now());
  timer = setTimeout(() => { timer = null; refresh(); }, wait);
}

// -- what waits for a decision: the approval cards, redrawn when the run's state moves
const approvals = document.querySelector("[data-approvals]");
// The run's state and its suspended nodes: the cards shown are for these.
const waits = () => [run.state, ...[...records.values()].filter((r) => r.state === "Suspended").map((r) => r.key),
  ...[...groups.values()].map((g) => `${g.node}:${g.counts.Suspended || 0}`)].join(" ");
let cardsFor = null;

function decided(message) {
  const note = document.getElementById("decided");
  note.textContent = message;
  note.hidden = false;
  soon();
}

async function showApprovals() {
  const now = waits();
  if (cardsFor === now) return;
  cardsFor = now;
  try {
    await decisions.redraw(approvals, location.href, decided);
  } catch { cardsFor = null; /* the next change tries again */ }
}

function redraw() {
  showHeader();
  showApprovals();
  graphView.update(summary);
  if (selected) showDetails(false);
  timeline.draw(document.getElementById("timeline"), run, seconds);
}

let events = null;
let polling = null;

// Steps' states and times come with no event: while the run goes on, read it now and
// then too (this also catches what another server's events would not tell).
setInterval(() => { if (!FINAL.has(run.state)) soon(); }, 3000);

function follow() {
  if (events) return;
  events = listen("/api/v1/events", {
    run: (change) => { if (change.run === run.id) { run.state = change.state; run.error = change.error; showHeader(); soon(); } },
    node: (change) => {
      if (change.run !== run.id) return;
      if (change.node.includes("[")) { soon(); return; } // summarised: the next read counts it
      const known = records.get(change.node);
      if (known) Object.assign(known, { state: change.state, attempts: change.attempt, error: change.error });
      else remember({ key: change.node, node: nodeOfKey(change.node), state: change.state, attempts: change.attempt, error: change.error, steps: [], ports: [] });
      graphView.update(summary, nodeOfKey(change.node));
      soon();
    },
    lagging: () => poll(),
  });
  events.addEventListener("error", () => { if (events.readyState === EventSource.CLOSED) poll(); });
}

// Without the events stream: the run read every 2 s until it ends.
function poll() {
  events?.close();
  events = null;
  if (polling) return;
  polling = setInterval(async () => {
    await refresh();
    if (FINAL.has(run.state)) { clearInterval(polling); polling = null; }
  }, 2000);
}

decisions.attach(approvals, decided);
const logs = new LogView(document.getElementById("log"), run.id, tag.dataset.ansi, listen);
index(run);
cardsFor = waits(); // as the server rendered them
showHeader();
wireActions();
follow();
timeline.draw(document.getElementById("timeline"), run, seconds);
if (graph) {
  await graphView.draw(document.getElementById("graph"), summary, select);
  const fit = document.getElementById("graph-fit");
  fit.hidden = false;
  fit.addEventListener("click", () => {
    const on = fit.getAttribute("aria-pressed") !== "true";
    fit.setAttribute("aria-pressed", String(on));
    document.getElementById("graph").classList.toggle("fit", on);
  });
  graphView.update(summary); // what the events told while it was laid out
} else {
  document.getElementById("graph-note").textContent = data.graph_problem;
}
// When the graph was drawn, in ms since navigation began (benchmarks/ui.py reads it).
document.documentElement.dataset.runPage = "ready";
document.documentElement.dataset.drawnMs = performance.now().toFixed(1);
// A change between the page's render and the stream's start is caught by one read.
if (!FINAL.has(run.state)) soon();
