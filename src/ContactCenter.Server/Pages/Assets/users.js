// /admin/users: lists people from GET /api/users, adds them, issues one-time password links and
// disables or enables them. Every value is put in as text.
"use strict";
(() => {
  const body = document.getElementById("users");
  const state = document.getElementById("state");
  const link = document.getElementById("link");

  function say(text, error) { state.textContent = text; state.className = error ? "error" : "muted"; }

  async function load() {
    const users = await cc.api("/api/users");
    body.replaceChildren(...users.map(u => cc.el("tr", { dataset: { user: u.id } },
      cc.el("td", {}, u.name), cc.el("td", {}, u.email), cc.el("td", {}, u.role), cc.el("td", {}, u.agentId || ""),
      cc.el("td", {}, (u.queues || []).join(", ")),
      cc.el("td", {}, u.disabled ? "disabled" : (u.hasPassword ? "active" : "no password yet")),
      cc.el("td", {},
        cc.el("button", { type: "button", class: "password-link", onclick: () => issueLink(u) }, "Password link"),
        cc.el("button", { type: "button", class: "toggle", onclick: () => toggle(u) }, u.disabled ? "Enable" : "Disable")))));
  }

  async function issueLink(user) {
    try {
      const result = await cc.api(`/api/users/${encodeURIComponent(user.id)}/password-link`, { method: "POST" });
      link.textContent = `One-time link for ${user.name} (until ${new Date(result.expiresAt).toLocaleString()}): ${result.url}`;
    } catch (e) { say(`Refused: ${e.message}`, true); }
  }

  async function toggle(user) {
    try {
      await cc.api(`/api/users/${encodeURIComponent(user.id)}`, { method: "PUT", body: {
        email: user.email, name: user.name, role: user.role, agentId: user.agentId, queues: user.queues, disabled: !user.disabled } });
      await load();
    } catch (e) { say(`Refused: ${e.message}`, true); }
  }

  document.getElementById("add-user").addEventListener("submit", async event => {
    event.preventDefault();
    const form = new FormData(event.target);
    const queues = String(form.get("queues") || "").split(",").map(q => q.trim()).filter(q => q);
    try {
      const user = await cc.api("/api/users", { method: "POST", body: {
        name: form.get("name"), email: form.get("email"), role: form.get("role"), agentId: form.get("agentId") || null, queues } });
      say(`Added ${user.name}`);
      event.target.reset();
      await load();
    } catch (e) { say(`Refused: ${e.message}`, true); }
  });

  load().catch(e => say(`Could not load the users: ${e.message}`, true));
})();
