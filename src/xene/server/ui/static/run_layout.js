// A Web Worker laying out a run's graph off the page's thread, with a vendored library
// (static/vendor/): dagre up to LARGE nodes, for its careful crossing reduction and
// placement; d3-dag's Sugiyama layout with its quick operators beyond, where dagre takes
// most of a second (a 1,000-node graph: about 0.6 s against 0.15 s here). Answers with
// node centres and edge points only, rounded, so the page can keep them.
/* global dagre, d3, importScripts */
const loaded = new Set();

function load(url) {
  if (!loaded.has(url)) {
    importScripts(url);
    loaded.add(url);
  }
}

const round = (n) => Math.round(n);

function withDagre({ graph, width, height }) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 46, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width, height });
  for (const edge of graph.edges) {
    if (g.hasNode(edge.source) && g.hasNode(edge.target)) g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g);
  const nodes = {};
  for (const id of g.nodes()) nodes[id] = [round(g.node(id).x), round(g.node(id).y)];
  const edges = g.edges().map((e) => [e.v, e.w, g.edge(e).points.flatMap((p) => [round(p.x), round(p.y)])]);
  const size = g.graph();
  return { width: Math.ceil(size.width), height: Math.ceil(size.height), nodes, edges };
}

// d3-dag lays out top to bottom: it is given each box turned a quarter (height across a
// layer, width along it) and its answer is transposed, left to right as dagre's.
function withD3Dag({ graph, width, height }) {
  const MARGIN = 8;
  const g = d3.graph();
  const made = new Map();
  for (const node of graph.nodes) made.set(node.id, g.node(node.id));
  const back = [];
  for (const edge of graph.edges) {
    const [source, target] = [made.get(edge.source), made.get(edge.target)];
    if (!source || !target) continue;
    if (edge.loop_back) back.push(edge); // a layered layout needs no cycle: drawn after
    else g.link(source, target, edge);
  }
  const layout = d3.sugiyama()
    .layering(d3.layeringLongestPath())
    .decross(d3.decrossDfs())
    .coord(d3.coordGreedy())
    .nodeSize([height, width])
    .gap([14, 46]);
  const size = layout(g);
  const at = (x, y) => [round(y + MARGIN), round(x + MARGIN)];
  const nodes = {};
  for (const node of g.nodes()) nodes[node.data] = at(node.x, node.y);
  const edges = [];
  for (const link of g.links()) {
    const points = link.points.map(([x, y]) => at(x, y));
    points[0][0] += width / 2; // from the source's right side, not its centre
    points[points.length - 1][0] -= width / 2; // into the target's left side
    edges.push([link.source.data, link.target.data, points.flat()]);
  }
  for (const edge of back) {
    const [from, to] = [nodes[edge.source], nodes[edge.target]];
    edges.push([edge.source, edge.target, [from[0], from[1] - height / 2, to[0], to[1] - height / 2]]);
  }
  return { width: Math.ceil(size.height + 2 * MARGIN), height: Math.ceil(size.width + 2 * MARGIN), nodes, edges };
}

self.onmessage = (event) => {
  const { urls, large } = event.data;
  load(large ? urls.d3dag : urls.dagre);
  self.postMessage(large ? withD3Dag(event.data) : withDagre(event.data));
};
