// A run's graph: laid out by dagre in a worker (run_layout.js), drawn as SVG, one box per
// pipeline node however many split items or loop turns ran it; boxes coloured by state.
const WIDTH = 176;
const HEIGHT = 46;
const LARGE = 300;
const SVG = "http://www.w3.org/2000/svg";
let boxes = new Map(); // node id -> its <g>
let current = null;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

const KEPT = 8;

// A cheap fingerprint of the graph's shape: the same pipeline lays out the same.
function fingerprint(graph) {
  const text = JSON.stringify([WIDTH, HEIGHT, graph.nodes.map((n) => n.id), graph.edges.map((e) => [e.source, e.target])]);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 2246822519);
  }
  return `xene-layout:${(a >>> 0).toString(36)}${(b >>> 0).toString(36)}:${text.length}`;
}

// The layout of this shape kept from an earlier look (any run of the same pipeline),
// else laid out by the worker and kept: the last KEPT shapes, in localStorage.
async function layout(graph, urls) {
  const key = fingerprint(graph);
  try {
    const kept = localStorage.getItem(key);
    if (kept) return JSON.parse(kept);
  } catch { /* storage refused: lay it out */ }
  const worker = new Worker(urls.worker);
  const done = await new Promise((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage({ dagreUrl: urls.dagre, graph, width: WIDTH, height: HEIGHT, large: graph.nodes.length > LARGE });
  });
  worker.terminate();
  keep(key, done);
  return done;
}

function keep(key, laidOut) {
  try {
    const index = JSON.parse(localStorage.getItem("xene-layouts") || "[]").filter((k) => k !== key);
    index.push(key);
    while (index.length > KEPT) localStorage.removeItem(index.shift());
    localStorage.setItem(key, JSON.stringify(laidOut));
    localStorage.setItem("xene-layouts", JSON.stringify(index));
  } catch { /* full or refused: next time it is laid out again */ }
}

function subtitle(s, type) {
  if (s.pending) return `${type} · pending`;
  if (s.total <= 1) return s.state;
  const parts = Object.entries(s.counts).sort((a, b) => b[1] - a[1]).map(([state, n]) => `${n} ${state}`);
  return clip(`×${s.total}: ${parts.join(", ")}`, 30);
}

function edgePath(flat) {
  const parts = [];
  for (let i = 0; i < flat.length; i += 2) parts.push(`${flat[i]},${flat[i + 1]}`);
  return `M${parts.join("L")}`;
}

export async function draw(container, graph, summary, onSelect, urls) {
  const began = performance.now();
  if (graph.nodes.length > LARGE) container.innerHTML = `<p class="muted">Laying out ${graph.nodes.length} nodes…</p>`;
  const laid = await layout(graph, urls);
  container.dataset.layoutMs = (performance.now() - began).toFixed(1);
  const types = new Map(graph.nodes.map((n) => [n.id, n]));
  const loops = new Set(graph.edges.filter((e) => e.loop_back).map((e) => `${e.source}\u0000${e.target}`));
  const html = [`<svg xmlns="${SVG}" width="${laid.width}" height="${laid.height}" viewBox="0 0 ${laid.width} ${laid.height}" class="dag">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrow"/></marker></defs><g class="edges">'];
  for (const [v, w, points] of laid.edges) {
    const loop = loops.has(`${v}\u0000${w}`) ? " loop-back" : "";
    html.push(`<path class="edge${loop}" d="${edgePath(points)}" marker-end="url(#arrow)"/>`);
  }
  html.push("</g><g class=\"nodes\">");
  for (const [id, [cx, cy]] of Object.entries(laid.nodes)) {
    const node = types.get(id);
    const s = summary(id);
    const body = node.region ? " in-body" : "";
    const x = cx - WIDTH / 2;
    const y = cy - HEIGHT / 2;
    html.push(`<g class="node state-${escape(s.state)}${body}" data-node="${escape(id)}" tabindex="0" role="button" aria-label="${escape(id)}: ${escape(s.state)}" transform="translate(${x},${y})">`,
      `<rect width="${WIDTH}" height="${HEIGHT}" rx="6"/><text x="10" y="18" class="name">${escape(clip(id, 24))}</text>`,
      `<text x="10" y="35" class="sub">${escape(subtitle(s, node.type))}</text><title>${escape(id)} (${escape(node.type)})</title></g>`);
  }
  html.push("</g></svg>");
  container.innerHTML = html.join("");
  boxes = new Map();
  for (const box of container.querySelectorAll("g[data-node]")) boxes.set(box.dataset.node, box);
  current = { types };
  const pick = (event) => {
    const box = event.target.closest("g[data-node]");
    if (box) onSelect(box.dataset.node);
  };
  container.addEventListener("click", pick);
  container.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(event); }
  });
}

// New states: of one node, or of every node.
export function update(summary, only = null) {
  if (!current) return;
  const ids = only ? [only] : boxes.keys();
  for (const id of ids) {
    const box = boxes.get(id);
    if (!box) continue;
    const s = summary(id);
    const node = current.types.get(id);
    const selected = box.classList.contains("selected") ? " selected" : "";
    box.setAttribute("class", `node state-${s.state}${node.region ? " in-body" : ""}${selected}`);
    box.setAttribute("aria-label", `${id}: ${s.state}`);
    box.querySelector(".sub").textContent = subtitle(s, node.type);
  }
}

export function highlight(id) {
  for (const box of boxes.values()) box.classList.remove("selected");
  const box = boxes.get(id);
  if (box) box.classList.add("selected");
}
