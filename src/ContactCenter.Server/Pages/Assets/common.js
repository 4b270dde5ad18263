// Shared by every page of the service: API calls with the CSRF header, safe element building (text is always
// set as text, never parsed as HTML), durations, and the live stream. Plain script, no build step.
"use strict";
window.cc = (() => {
  let sessionPromise = null;

  function session() {
    sessionPromise ??= fetch("/api/session", { credentials: "same-origin" }).then(async r => {
      if (r.status === 401) { location.href = "/login?returnUrl=" + encodeURIComponent(location.pathname + location.search); }
      if (!r.ok) throw new Error("session: " + r.status);
      return r.json();
    });
    return sessionPromise;
  }

  /** Calls the API; resolves with the JSON body (or null), rejects with an Error carrying .status and .problem. */
  async function api(path, { method = "GET", body, headers = {} } = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
    if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-TOKEN"] = (await session()).csrfToken;
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const r = await fetch(path, init);
    const type = r.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await r.json() : null;
    if (!r.ok) {
      const e = new Error((data && (data.detail || data.title)) || ("HTTP " + r.status));
      e.status = r.status; e.problem = data;
      throw e;
    }
    return data;
  }

  /** el("td", { class: "late", title: "…" }, "text", childNode): attributes and text, never HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /** 75 → "1:15", 3700 → "1:01:40", negative → "-0:05". */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
    const sign = seconds < 0 ? "-" : "";
    let s = Math.floor(Math.abs(seconds));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const pad = n => String(n).padStart(2, "0");
    return sign + (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }

  /** Opens a server-sent event stream; handlers by event name. EventSource reconnects by itself. */
  function live(url, handlers, onState) {
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => onState && onState("live");
    source.onerror = () => onState && onState("reconnecting");
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, e => handler(e.data ? JSON.parse(e.data) : null, e));
    }
    return source;
  }

  return { session, api, el, duration, live };
})();

// Page forms that post outside /api (sign out) carry the antiforgery token too: added at submit time.
document.addEventListener("submit", async event => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.getAttribute("action") !== "/logout" || form.dataset.csrfAdded) return;
  event.preventDefault();
  const token = (await window.cc.session()).csrfToken;
  form.append(window.cc.el("input", { type: "hidden", name: "__RequestVerificationToken", value: token }));
  form.dataset.csrfAdded = "true";
  form.submit();
});
