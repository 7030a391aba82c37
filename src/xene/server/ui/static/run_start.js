// Starts laying out a run's graph while the page is still parsing (a classic script,
// right after the graph's data): on a big graph the layout is most of the time to the
// page's first look. run_graph.js draws what `window.xeneLaying` gives.
(() => {
  const tag = document.currentScript;
  const source = document.getElementById("run-graph");
  const graph = source ? JSON.parse(source.textContent) : null;
  if (!graph) return;
  const WIDTH = 176;
  const HEIGHT = 46;
  const LARGE = 300;
  const KEPT = 8;

  // A cheap fingerprint of the graph's shape: the same pipeline lays out the same.
  function fingerprint() {
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

  function keep(key, laidOut) {
    try {
      const index = JSON.parse(localStorage.getItem("xene-layouts") || "[]").filter((k) => k !== key);
      index.push(key);
      while (index.length > KEPT) localStorage.removeItem(index.shift());
      localStorage.setItem(key, JSON.stringify(laidOut));
      localStorage.setItem("xene-layouts", JSON.stringify(index));
    } catch { /* full or refused: next time it is laid out again */ }
  }

  // The layout of this shape kept from an earlier look (any run of the same pipeline),
  // else laid out by the worker (run_layout.js) and kept: the last KEPT shapes.
  async function laidOut() {
    const key = fingerprint();
    try {
      const kept = localStorage.getItem(key);
      if (kept) return JSON.parse(kept);
    } catch { /* storage refused: lay it out */ }
    const worker = new Worker(tag.dataset.worker);
    const done = await new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message || "the layout failed"));
      const large = graph.nodes.length > LARGE;
      const urls = { dagre: tag.dataset.dagre, d3dag: tag.dataset.d3dag };
      worker.postMessage({ urls, graph, width: WIDTH, height: HEIGHT, large });
    });
    worker.terminate();
    keep(key, done);
    return done;
  }

  const began = performance.now();
  window.xeneLaying = {
    graph,
    size: [WIDTH, HEIGHT],
    large: graph.nodes.length > LARGE,
    laid: laidOut().then((laid) => ({ ...laid, ms: performance.now() - began })),
  };
})();
