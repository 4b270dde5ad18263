// The live console (/supervisor): a snapshot from /api/live, then a reload shortly after each change; clocks tick
// in the page between updates. Everything is rendered as text (cc.el), never as HTML.
"use strict";
(() => {
  let queues = [], agents = [], forecasts = {}, days = {}, loadedAt = Date.now(), reload = null;
  const $ = id => document.getElementById(id);
  const el = cc.el;
  const secs = s => s == null ? "" : (s < 0 ? "-" : "") + cc.duration(Math.abs(s));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  // Acknowledgements are stored on the server: every supervisor's console hears of them (the change reloads it).
  async function acknowledge(a) {
    await act("/api/console/alerts/acknowledge", { conversationId: a.conversationId, kind: a.kind });
    load();
  }

  // A waiting conversation's timeline, read-only, beside the lists.
  async function showTimeline(q, c) {
    const panel = $("timeline");
    panel.hidden = false;
    $("timeline-title").textContent = `${c.channel} conversation ${c.conversationId} waiting in ${q.name}`;
    try {
      const events = await cc.api(`/api/conversations/${c.conversationId}/events`);
      $("timeline-events").replaceChildren(...events.map(e => el("li", { dataset: { type: e.type } },
        el("span", { class: "muted" }, `${new Date(e.occurredAt).toLocaleTimeString()} ${e.type} `),
        e.text ? el("span", { class: "text" }, e.text) : null)));
    } catch (e) { $("timeline-events").replaceChildren(el("li", { class: "late" }, e.message)); }
  }

  async function act(path, body) {
    try { await cc.api(path, { method: "POST", body }); }
    catch (e) { log(`${path}: ${e.message}`, true); }
  }

  // Raise priority re-enters the same queue with a higher priority; assign and transfer ask for the target.
  function actions(q, c) {
    const path = `/api/conversations/${c.conversationId}`;
    const button = (label, run) => el("button", { type: "button", onclick: e => { e.stopPropagation(); run(); } }, label);
    return [
      button("Raise priority", () => act(`${path}/enqueue`, { queue: q.name, priority: c.priority + 10, reason: "raised by a supervisor" })),
      button("Assign…", () => { const id = prompt("Assign to agent (id)"); if (id) act(`${path}/assign`, { agentId: id.trim() }); }),
      button("Transfer…", () => { const to = prompt("Transfer to queue"); if (to) act(`${path}/transfer`, { queue: to.trim(), reason: "moved by a supervisor" }); }),
    ];
  }

  function log(text, late) {
    $("log").prepend(el("div", { class: late ? "late" : null }, `${new Date().toLocaleTimeString()} ${text}`));
  }

  function render() {
    const gone = (Date.now() - loadedAt) / 1000;
    const all = queues.flatMap(q => q.alerts.map(a => ({ ...a, queue: q.name })));
    const alerts = all.filter(a => !a.acknowledgedBy);
    $("acked").replaceChildren(...all.filter(a => a.acknowledgedBy).map(a => el("div", { class: "acked", dataset: { conversation: a.conversationId } },
      `${a.kind.replace("_", " ")} breach in ${a.queue}, conversation ${a.conversationId}: acknowledged by ${a.acknowledgedBy}`)));
    $("alerts").replaceChildren(...alerts.map(a => el("div", { class: "alert", dataset: { conversation: a.conversationId } },
      el("span", null, `Breach: ${a.kind.replace("_", " ")} in ${a.queue}`),
      el("span", null, `conversation ${a.conversationId}`),
      el("span", null, `${secs((Date.now() - Date.parse(a.breachedAt)) / 1000)} ago`),
      el("button", { type: "button", onclick: () => acknowledge(a) }, "Acknowledge"))));

    $("queues").replaceChildren(...queues.map(q => {
      const next = q.conversations.map(c => c.target && c.target.remainingSeconds).filter(x => x != null);
      const left = next.length ? Math.min(...next) - (q.open ? gone : 0) : null;
      const share = q.today.withinTargetShare == null ? "–" : Math.round(q.today.withinTargetShare * 100) + " %";
      const abandoned = q.today.queuedCalls ? `${q.today.abandoned} of ${q.today.queuedCalls}` +
        (q.today.abandonmentRate == null ? "" : ` (${Math.round(q.today.abandonmentRate * 100)} %)`) : "–";
      const f = forecasts[q.name];
      return el("tr", { dataset: { queue: q.name } },
        el("td", null, q.name), el("td", null, q.open ? "yes" : "closed"), el("td", null, String(q.waiting)),
        el("td", null, secs(q.oldestWaitSeconds == null ? null : q.oldestWaitSeconds + gone)),
        el("td", { class: left < 0 ? "late" : null }, secs(left)),
        el("td", null, `${q.agents.available} / ${q.agents.busy} / ${q.agents.away} / ${q.agents.offline}`),
        el("td", null, share), el("td", { class: q.today.breached ? "late" : null }, String(q.today.breached)),
        el("td", { class: "abandoned" }, abandoned),
        el("td", { class: "forecast-wait" }, f ? (f.expectedWaitSeconds == null ? "unbounded" : secs(f.expectedWaitSeconds)) : ""),
        el("td", { class: "forecast-agents" }, f ? `${f.agentsNeeded ?? "?"} / ${f.agentsAvailable}` : ""));
    }));

    $("waiting").replaceChildren(...queues.flatMap(q => q.conversations.map(c => {
      const left = c.target && c.target.remainingSeconds != null ? c.target.remainingSeconds - (c.target.paused ? 0 : gone) : null;
      const cls = left != null && left < 0 ? "late" : c.target && c.target.warned ? "warn" : null;
      return el("tr", { class: "clickable", title: "open the timeline", dataset: { conversation: c.conversationId }, onclick: () => showTimeline(q, c) },
        el("td", null, q.name), el("td", null, c.conversationId), el("td", null, c.channel), el("td", null, String(c.priority)),
        el("td", null, secs(c.waitSeconds + gone)), el("td", null, c.target ? c.target.kind : ""),
        el("td", { class: cls }, `${c.target && c.target.paused ? "paused, " : ""}${secs(left)}`),
        el("td", null, ...actions(q, c)));
    })));

    $("agents").replaceChildren(...agents.map(a => el("tr", { dataset: { agent: a.id } },
      el("td", null, a.name, " ", el("span", { class: "muted" }, a.id)), el("td", { class: "status" }, a.status),
      el("td", null, secs((Date.now() - Date.parse(a.statusChangedAt)) / 1000)),
      el("td", null, Object.keys(a.capacity).map(b => `${b} ${a.load[b] ?? 0}/${a.capacity[b]}`).join(", ")),
      el("td", { class: "handled" }, String(days[a.id] ? days[a.id].handled : 0)),
      el("td", { class: "handle-time" }, days[a.id] && days[a.id].averageHandleSeconds != null ? secs(days[a.id].averageHandleSeconds) : "–"),
      el("td", null, Object.entries(a.skills).map(([k, v]) => `${k} ${v}`).join(", ")),
      el("td", null, ...["away", "offline"].filter(s => s !== a.status).map(s =>
        el("button", { type: "button", onclick: () => act(`/api/agents/${encodeURIComponent(a.id)}/status`, { status: s }).then(load) }, `Set ${s}`))))));
  }

  async function loadForecasts() {
    try { forecasts = Object.fromEntries((await cc.api("/api/forecasts")).map(f => [f.queue, f])); render(); }
    catch (e) { log(`forecast: ${e.message}`, true); }
  }

  async function loadDays() {
    try { days = Object.fromEntries((await cc.api(`/api/console/agents?timeZone=${encodeURIComponent(zone)}`)).map(d => [d.agentId, d])); render(); }
    catch (e) { log(`agents' day: ${e.message}`, true); }
  }

  async function load() {
    const [q, a] = await Promise.all([cc.api("/api/queues?limit=20"), cc.api("/api/agents")]);
    queues = q; agents = a; loadedAt = Date.now(); render();
    loadForecasts(); loadDays();
  }

  cc.live("/api/live", {
    snapshot: s => { queues = s.queues; agents = s.agents; loadedAt = Date.now(); render(); loadForecasts(); loadDays(); },
    change: c => {
      log(`${c.type} ${c.queue ?? ""} ${c.conversationId || c.agentId || ""}`, c.type === "sla.breached");
      clearTimeout(reload); reload = setTimeout(load, 250);
    },
  }, state => $("state").textContent = state);
  $("timeline-close").addEventListener("click", () => { $("timeline").hidden = true; });
  setInterval(render, 1000);
  // The forecast's window slides with time, not only with changes.
  setInterval(loadForecasts, 30000);
})();
