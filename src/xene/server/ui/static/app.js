// Shared by every page: the API with the session's CSRF header, times in the viewer's
// zone, live events, the theme switch. Pages import what they need from here.

export function csrf() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("xene_csrf="));
  return found ? decodeURIComponent(found.slice("xene_csrf=".length)) : "";
}

export class ApiError extends Error {
  constructor(status, message, problems) {
    super(message);
    this.status = status;
    this.problems = problems || [];
  }
}

// A call of the API's own routes (signed in by the session cookie).
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET") headers["X-Xene-CSRF"] = csrf();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = (data && data.error) || response.statusText;
    throw new ApiError(response.status, message, data && data.problems);
  }
  return data;
}

// `<time datetime="...">` shown in the viewer's time zone.
// A duration as `xene show` writes it (core/records.py's seconds_text): 850ms, 12.5s, 14m05s.
export function seconds(s) {
  if (s < 1) return `${Math.round(Math.max(s, 0) * 1000)}ms`;
  if (s < 120) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

export function localTimes(root = document) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    const when = new Date(node.getAttribute("datetime"));
    if (isNaN(when)) continue;
    node.textContent = when.toLocaleString(undefined, {
      dateStyle: "medium",
      timeStyle: "medium",
    });
    node.title = when.toISOString();
  }
}

// Server-sent events of the API, reconnecting as EventSource does; `on` maps event
// names to handlers of their parsed data.
export function listen(path, on) {
  const source = new EventSource(path, { withCredentials: true });
  for (const [name, handler] of Object.entries(on)) {
    source.addEventListener(name, (event) => handler(JSON.parse(event.data), event));
  }
  return source;
}

function themeSwitch() {
  for (const button of document.querySelectorAll("[data-theme-toggle]")) {
    button.addEventListener("click", () => {
      const root = document.documentElement;
      const dark = root.dataset.theme
        ? root.dataset.theme === "dark"
        : matchMedia("(prefers-color-scheme: dark)").matches;
      root.dataset.theme = dark ? "light" : "dark";
      localStorage.setItem("xene-theme", root.dataset.theme);
    });
  }
}

function csrfFields() {
  for (const field of document.querySelectorAll("input[data-csrf]")) field.value = csrf();
}

themeSwitch();
csrfFields();
localTimes();
