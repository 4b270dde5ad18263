// The supervisor's live view (/supervisor): a snapshot from /api/live, then a reload shortly after each change.
"use strict";
let queues = [], agents = [], loadedAt = Date.now(), reload = null;
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
const secs = s => s == null ? "" : (s < 0 ? "-" : "") + (Math.abs(s) >= 60 ? Math.floor(Math.abs(s) / 60) + "m " : "") + Math.floor(Math.abs(s) % 60) + "s";
function render() {
  const gone = (Date.now() - loadedAt) / 1000;
  document.getElementById("queues").innerHTML = queues.map(q => {
    const next = q.conversations.map(c => c.target && c.target.remainingSeconds).filter(x => x != null);
    const left = next.length ? Math.min(...next) - (q.open ? gone : 0) : null;
    const share = q.today.withinTargetShare == null ? "–" : Math.round(q.today.withinTargetShare * 100) + " %";
    return `<tr><td>${esc(q.name)}</td><td>${q.open ? "yes" : "closed"}</td><td>${q.waiting}</td>
      <td>${secs(q.oldestWaitSeconds == null ? null : q.oldestWaitSeconds + gone)}</td><td class="${left < 0 ? "late" : ""}">${secs(left)}</td>
      <td>${q.agents.available} / ${q.agents.busy} / ${q.agents.away} / ${q.agents.offline}</td><td>${share}</td>
      <td class="${q.alerts.length ? "late" : ""}">${q.alerts.length}</td></tr>`; }).join("");
  document.getElementById("waiting").innerHTML = queues.flatMap(q => q.conversations.map(c => {
    const left = c.target && c.target.remainingSeconds != null ? c.target.remainingSeconds - (c.target.paused ? 0 : gone) : null;
    const cls = left != null && left < 0 ? "late" : c.target && c.target.warned ? "warn" : "";
    return `<tr><td>${esc(q.name)}</td><td>${esc(c.conversationId)}</td><td>${esc(c.channel)}</td><td>${c.priority}</td>
      <td>${secs(c.waitSeconds + gone)}</td><td>${esc(c.target && c.target.kind)}</td>
      <td class="${cls}">${c.target && c.target.paused ? "paused, " : ""}${secs(left)}</td></tr>`; })).join("");
  document.getElementById("agents").innerHTML = agents.map(a => `<tr><td>${esc(a.name)} <span class="muted">${esc(a.id)}</span></td>
    <td>${esc(a.status)}</td><td>${Object.keys(a.capacity).map(b => `${b} ${a.load[b] ?? 0}/${a.capacity[b]}`).join(", ")}</td>
    <td>${Object.entries(a.skills).map(([k, v]) => `${esc(k)} ${v}`).join(", ")}</td></tr>`).join("");
}
async function load() {
  const [q, a] = await Promise.all([fetch("/api/queues?limit=20"), fetch("/api/agents")]);
  if (q.ok && a.ok) { queues = await q.json(); agents = await a.json(); loadedAt = Date.now(); render(); }
}
const source = new EventSource("/api/live");
source.addEventListener("snapshot", e => { const s = JSON.parse(e.data); queues = s.queues; agents = s.agents; loadedAt = Date.now(); render(); });
source.addEventListener("change", e => {
  const c = JSON.parse(e.data), log = document.getElementById("log");
  log.insertAdjacentHTML("afterbegin", `<div class="${c.type === "sla.breached" ? "late" : ""}">${new Date().toLocaleTimeString()} ${esc(c.type)} ${esc(c.queue)} ${esc(c.conversationId || c.agentId)}</div>`);
  clearTimeout(reload); reload = setTimeout(load, 250);
});
source.onopen = () => document.getElementById("state").textContent = "live";
source.onerror = () => document.getElementById("state").textContent = "reconnecting…";
setInterval(render, 1000);
