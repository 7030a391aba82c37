// A run's graph: laid out by dagre in a worker (started by run_start.js), drawn as SVG,
// one box per pipeline node however many split items or loop turns ran it; boxes
// coloured by state.
const SVG = "http://www.w3.org/2000/svg";
let boxes = new Map(); // node id -> its <g>
let current = null;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

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

// Draws the graph run_start.js began laying out (`window.xeneLaying`) once it is laid out.
export async function draw(container, summary, onSelect) {
  const { graph, size: [WIDTH, HEIGHT], large, laid: laying } = window.xeneLaying;
  if (large) container.innerHTML = `<p class="muted">Laying out ${graph.nodes.length} nodes…</p>`;
  const laid = await laying;
  container.dataset.layoutMs = laid.ms.toFixed(1);
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
