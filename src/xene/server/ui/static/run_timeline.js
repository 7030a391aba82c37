// A run's timeline: one bar per pipeline node that started (its steps as thinner bars
// inside; a node run per split item or loop turn: one bar from the first start to the
// last end, with the count), from the run's start to its end (or now), drawn as SVG.
const ROW = 22;
const LABEL = 180;
const MAX_ROWS = 300;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// One row per pipeline node: its record, or its records spanned (as the run's tree has
// them, or summarised by the server as `groups`).
function rowsOf(run) {
  const groups = new Map();
  for (const n of run.nodes) {
    if (n.started_at == null) continue;
    if (!groups.has(n.node)) groups.set(n.node, []);
    groups.get(n.node).push(n);
  }
  const rows = [...groups.values()].map((records) => {
    if (records.length === 1) return records[0];
    const ends = records.map((r) => r.ended_at);
    const running = ends.some((end) => end == null);
    const state = records.find((r) => r.state === "Error")?.state ?? (running ? "Running" : records[0].state);
    return { key: `${records[0].node} ×${records.length}`, state, steps: [],
      started_at: Math.min(...records.map((r) => r.started_at)),
      ended_at: running ? null : Math.max(...ends) };
  });
  for (const g of run.groups || []) {
    if (g.started_at == null) continue;
    const state = g.counts.Error ? "Error" : g.ended_at == null ? "Running" : Object.keys(g.counts)[0];
    rows.push({ key: `${g.node} ×${g.total}`, state, steps: [], started_at: g.started_at, ended_at: g.ended_at });
  }
  return rows;
}

export function draw(container, run, seconds) {
  const started = rowsOf(run);
  if (!started.length) {
    container.innerHTML = '<p class="muted">Nothing has started yet.</p>';
    return;
  }
  started.sort((a, b) => a.started_at - b.started_at);
  const rows = started.slice(0, MAX_ROWS);
  const now = Date.now() / 1000;
  const t0 = Math.min(run.started_at ?? rows[0].started_at, rows[0].started_at);
  const t1 = Math.max(run.ended_at ?? now, ...rows.map((n) => n.ended_at ?? now));
  const span = Math.max(t1 - t0, 0.001);
  const width = Math.max(container.clientWidth || 800, 500);
  const scale = (width - LABEL - 10) / span;
  const x = (t) => LABEL + (t - t0) * scale;
  const html = [`<svg class="gantt" width="${width}" height="${rows.length * ROW + 24}" role="img" aria-label="Timeline of ${rows.length} nodes over ${seconds(span)}">`];
  rows.forEach((n, i) => {
    const y = i * ROW;
    const end = n.ended_at ?? now;
    html.push(`<text x="4" y="${y + 15}" class="label">${escape(n.key.length > 26 ? `${n.key.slice(0, 25)}…` : n.key)}</text>`,
      `<rect class="bar state-${escape(n.state)}" x="${x(n.started_at).toFixed(1)}" y="${y + 3}" width="${Math.max(2, (end - n.started_at) * scale).toFixed(1)}" height="${ROW - 6}"><title>${escape(n.key)}: ${escape(n.state)}, ${seconds(end - n.started_at)}</title></rect>`);
    for (const s of n.steps) {
      if (s.started_at == null) continue;
      const stop = s.ended_at ?? now;
      html.push(`<rect class="step state-${escape(s.state)}" x="${x(s.started_at).toFixed(1)}" y="${y + 8}" width="${Math.max(1, (stop - s.started_at) * scale).toFixed(1)}" height="${ROW - 16}"><title>${escape(s.name)}: ${escape(s.state)}, ${seconds(stop - s.started_at)}</title></rect>`);
    }
  });
  const axis = rows.length * ROW + 16;
  html.push(`<text x="${LABEL}" y="${axis}" class="axis">0</text><text x="${width - 10}" y="${axis}" class="axis" text-anchor="end">${seconds(span)}</text></svg>`);
  const more = started.length > MAX_ROWS ? `<p class="muted">The first ${MAX_ROWS} of ${started.length} node runs.</p>` : "";
  container.innerHTML = html.join("") + more;
}
