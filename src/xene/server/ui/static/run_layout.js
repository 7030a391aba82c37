// A Web Worker laying out a run's graph with dagre (vendored, static/vendor/), off the
// page's thread: the page stays usable while a big graph is laid out. Answers with
// node centres and edge points only, rounded, so the page can keep them.
/* global dagre, importScripts */
let loaded = null;

self.onmessage = (event) => {
  const { dagreUrl, graph, width, height, large } = event.data;
  if (loaded !== dagreUrl) {
    importScripts(dagreUrl);
    loaded = dagreUrl;
  }
  const g = new dagre.graphlib.Graph();
  // Beyond a few hundred nodes network-simplex ranking and the full crossing reduction
  // take seconds: dagre's tight-tree ranker and its first ordering keep it quick.
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 46, marginx: 8, marginy: 8,
    ranker: large ? "tight-tree" : "network-simplex" });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width, height });
  for (const edge of graph.edges) {
    if (g.hasNode(edge.source) && g.hasNode(edge.target)) g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g, { disableOptimalOrderHeuristic: large });
  const nodes = {};
  for (const id of g.nodes()) nodes[id] = [Math.round(g.node(id).x), Math.round(g.node(id).y)];
  const edges = g.edges().map((e) => [e.v, e.w, g.edge(e).points.flatMap((p) => [Math.round(p.x), Math.round(p.y)])]);
  const size = g.graph();
  self.postMessage({ width: Math.ceil(size.width), height: Math.ceil(size.height), nodes, edges });
};
