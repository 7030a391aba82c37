// A step's (or a node's) log, followed live over the API's logs stream; ANSI colours by
// ansi_up (vendored); search filters the lines shown; download saves every line read.
const MAX_SHOWN = 20000;

export class LogView {
  constructor(section, runId, ansiUrl, listen) {
    this.section = section;
    this.runId = runId;
    this.ansiUrl = ansiUrl;
    this.listen = listen;
    this.lines = [];
    this.source = null;
    this.lineBox = section.querySelector("#log-lines");
    this.status = section.querySelector("#log-status");
    this.search = section.querySelector("#log-search");
    this.search.addEventListener("input", () => this.filter());
    section.querySelector("#log-download").addEventListener("click", () => this.download());
  }

  async open(key, step) {
    this.source?.close();
    const { AnsiUp } = await import(this.ansiUrl);
    this.ansi = new AnsiUp();
    this.ansi.use_classes = true;
    this.key = key;
    this.step = step;
    this.lines = [];
    this.lineBox.replaceChildren();
    this.section.hidden = false;
    this.section.querySelector("#log-title").textContent = step ? `Log of ${key} › ${step}` : `Log of ${key}`;
    this.status.textContent = "following…";
    const query = new URLSearchParams({ node: key });
    if (step) query.set("step", step);
    const path = `/api/v1/runs/${encodeURIComponent(this.runId)}/logs/stream?${query}`;
    this.source = this.listen(path, {
      log: (chunk) => this.add(chunk),
      end: () => { this.status.textContent = `${this.lines.length} lines; the run has ended.`; this.source.close(); },
    });
    this.section.scrollIntoView({ block: "nearest" });
  }

  add(chunk) {
    const needle = this.search.value.toLowerCase();
    const shown = document.createDocumentFragment();
    for (const line of chunk.lines) {
      const text = line;
      this.lines.push(text);
      const row = document.createElement("span");
      row.className = "line";
      row.innerHTML = this.ansi.ansi_to_html(text);
      row.dataset.plain = text.toLowerCase();
      if (needle && !row.dataset.plain.includes(needle)) row.hidden = true;
      shown.append(row, "\n");
    }
    this.lineBox.append(shown);
    // The page keeps the last MAX_SHOWN lines (a browser slows past that); Download
    // saves every line read.
    let extra = this.lineBox.childNodes.length / 2 - MAX_SHOWN;
    while (extra-- > 0) {
      this.lineBox.firstChild.remove();
      this.lineBox.firstChild.remove();
    }
    const cut = this.lines.length > MAX_SHOWN ? ` (the last ${MAX_SHOWN} shown)` : "";
    this.status.textContent = `${this.lines.length} lines${cut}, following…`;
  }

  filter() {
    const needle = this.search.value.toLowerCase();
    let shown = 0;
    for (const row of this.lineBox.querySelectorAll(".line")) {
      row.hidden = Boolean(needle) && !row.dataset.plain.includes(needle);
      if (!row.hidden) shown += 1;
      row.nextSibling.textContent = row.hidden ? "" : "\n";
    }
    this.status.textContent = needle ? `${shown} of ${this.lines.length} lines match` : `${this.lines.length} lines`;
  }

  download() {
    // eslint-disable-next-line no-control-regex
    const plain = this.lines.map((line) => line.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")).join("\n");
    const blob = new Blob([plain + "\n"], { type: "text/plain" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    const name = `${this.runId}-${this.key}${this.step ? `-${this.step}` : ""}.log`;
    link.download = name.replace(/[^\w.-]+/g, "_");
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }
}
