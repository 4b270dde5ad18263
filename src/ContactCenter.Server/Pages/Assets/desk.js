// The agent desk (/desk): the inbox, the live stream, presence heartbeats, status and keyboard shortcuts.
// Customer text only ever goes into the page as text (cc.el / textContent). Plain script, no build step.
// Other scripts may listen for window 'cc:conversation-open' (detail: { conversationId, customerId, channel })
// and 'cc:conversation-close'; the softphone (softphone.js) mounts into <section id="softphone">, hears the agent's
// status through 'cc:presence' (document) and tells of calls through 'cc:call' (window).
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  const desk = window.desk;
  const sessionId = crypto.randomUUID();
  let inbox = null, serverOffset = 0, reloadTimer = null, source = null;

  desk.serverNow = () => Date.now() + serverOffset;
  desk.reloadInbox = () => { clearTimeout(reloadTimer); reloadTimer = setTimeout(loadInbox, 150); };
  desk.heartbeat = heartbeat;

  async function start() {
    desk.session = await cc.session();
    await loadMe();
    source = cc.live("/api/desk/live", { hello: () => { loadInbox(); if (desk.openId) desk.conversation.refresh(); }, change: onChange, ping: () => {} },
      state => { $("state").textContent = state === "live" ? "live" : "reconnecting…"; });
    setInterval(tick, 1000);
    setInterval(heartbeat, Math.max(250, desk.me.heartbeatSeconds * 1000));
    heartbeat();
    for (const el of document.querySelectorAll("#filters select, #filters input")) el.addEventListener("change", loadInbox);
    $("filter-tag").addEventListener("input", desk.reloadInbox);
    $("filters").addEventListener("submit", e => { e.preventDefault(); loadInbox(); });
    $("status-select").addEventListener("change", setStatus);
    $("shortcuts-button").addEventListener("click", () => {
      const box = $("shortcuts"); box.hidden = !box.hidden; $("shortcuts-button").setAttribute("aria-expanded", String(!box.hidden));
    });
    document.addEventListener("keydown", shortcut);
    // The agent answered a call in the softphone: its conversation opens here and stays open for notes and resolve.
    window.addEventListener("cc:call", e => {
      const call = e.detail || {};
      if (call.state === "answered" && call.conversationId && call.conversationId !== desk.openId) desk.conversation.open(call.conversationId);
    });
    window.addEventListener("pagehide", () => {
      fetch("/api/desk/leave", { method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-TOKEN": desk.session.csrfToken }, body: JSON.stringify({ sessionId }) });
    });
    const wanted = new URLSearchParams(location.search).get("conversation");
    if (wanted) desk.conversation.open(wanted);
  }

  async function loadMe() {
    desk.me = await cc.api("/api/desk/me");
    $("me").textContent = desk.me.name + (desk.me.agentId ? " (" + desk.me.agentId + ")" : "");
    const agent = desk.me.agent;
    $("status-select").disabled = !agent;
    if (agent) {
      $("status-select").value = agent.status;
      // The softphone registers only while the agent is available, whoever changed the status (the picker, the
      // service after a declined or missed call, Desk:AwayAfter).
      document.dispatchEvent(new CustomEvent("cc:presence", { detail: { status: agent.status } }));
      const cap = agent.capacity.messaging ?? 0, load = agent.load.messaging ?? 0;
      $("load").textContent = load + " of " + cap + " chats" + (agent.capacity.voice ? " · " + (agent.load.voice ?? 0) + " of " + agent.capacity.voice + " calls" : "");
    }
  }

  async function setStatus() {
    try {
      await cc.api("/api/agents/" + encodeURIComponent(desk.me.agentId) + "/status", { method: "POST", body: { status: $("status-select").value } });
      await loadMe();
    } catch (e) { $("state").textContent = e.message; }
  }

  async function heartbeat() {
    if (!desk.me || !desk.me.agentId) return;
    try { await cc.api("/api/desk/heartbeat", { method: "POST", body: { sessionId, conversationId: desk.openId || null } }); }
    catch (e) { if (e.status === 404 && desk.openId) desk.conversation.close(); }
  }

  function filters() {
    const p = new URLSearchParams();
    for (const name of ["channel", "status", "queue", "tag"]) {
      const v = document.querySelector(`#filters [name=${name}]`).value.trim();
      if (v) p.set(name, v);
    }
    return p.toString();
  }

  async function loadInbox() {
    try {
      inbox = await cc.api("/api/desk/inbox" + (filters() ? "?" + filters() : ""));
    } catch (e) { $("state").textContent = "inbox: " + e.message; return; }
    serverOffset = Date.parse(inbox.at) - Date.now();
    const queueSelect = $("filter-queue"), chosen = queueSelect.value;
    if (queueSelect.options.length - 1 !== inbox.queues.length) {
      queueSelect.replaceChildren(cc.el("option", { value: "" }, "all"), ...inbox.queues.map(q => cc.el("option", { value: q }, q)));
      queueSelect.value = chosen;
    }
    render("inbox-mine", inbox.mine, "mine-count", inbox.mine.length);
    render("inbox-mentions", inbox.mentions, "mentions-count", inbox.mentions.length);
    render("inbox-waiting", inbox.waiting, "waiting-count", inbox.waitingTotal);
    tick();
    loadMe();
  }

  function render(listId, items, countId, count) {
    $(countId).textContent = String(count);
    $(listId).replaceChildren(...items.map(item => {
      const who = item.customerName || "Customer " + item.customerId.slice(-8); // ids are UUIDv7: their start is the time, alike for customers who came together
      const button = cc.el("button", { type: "button", "aria-label": who + ", " + item.channel + (item.unread ? ", " + item.unread + " unread" : "") },
        cc.el("span", { class: "who" }, who),
        cc.el("span", {}, item.unread ? cc.el("span", { class: "badge unread", title: "unread" }, String(item.unread)) : "",
          item.mentioned ? cc.el("span", { class: "badge", title: "mentions you" }, "@") : ""),
        cc.el("span", { class: "last" }, item.lastText || ""),
        cc.el("span", { class: "meta" }, item.channel, " · ", item.status, item.queue ? " · " + item.queue : "",
          item.priority ? " · p" + item.priority : "", item.tags.length ? " · #" + item.tags.join(" #") : "",
          item.dueAt ? cc.el("span", { class: "due", dataset: { due: item.dueAt, kind: item.clockKind || "" } }, "") : ""));
      button.addEventListener("click", () => desk.conversation.open(item.id));
      return cc.el("li", { dataset: { id: item.id }, class: item.id === desk.openId ? "active" : null }, button);
    }));
  }

  function tick() {
    const now = desk.serverNow();
    for (const el of document.querySelectorAll(".due[data-due]")) {
      const left = (Date.parse(el.dataset.due) - now) / 1000;
      el.textContent = " · " + (el.dataset.kind ? el.dataset.kind.replace("_", " ") + " " : "") + (left < 0 ? "late " + cc.duration(-left) : "due in " + cc.duration(left));
      el.classList.toggle("late", left < 0);
    }
  }

  function inInbox(id) {
    return inbox && [inbox.mine, inbox.waiting, inbox.mentions].some(list => list.some(i => i.id === id));
  }

  function onChange(change) {
    const me = desk.me && desk.me.agentId;
    if (change.type === "timeline") {
      if (desk.openId && (change.conversationId === desk.openId || change.customerId === desk.openCustomerId)) desk.conversation.changed(change);
      if (inInbox(change.conversationId) || change.assignee === me || change.assignee === null || (change.mentions || []).includes(me)) desk.reloadInbox();
    } else if (change.type === "presence" || change.type === "typing") {
      if (change.conversationId === desk.openId) desk.conversation.presence(change);
    } else if (change.type === "agent.status") {
      if (change.agentId === me) loadMe();
    } else if (change.type === "resync") {
      loadInbox();
      if (desk.openId) desk.conversation.refresh();
    } else {
      desk.reloadInbox();
    }
  }

  function visibleItems() { return [...document.querySelectorAll("#inbox li[data-id]")]; }

  function shortcut(e) {
    const target = e.target;
    const typing = target.matches("input, textarea, select");
    if (e.key === "Escape" && typing) { target.blur(); return; }
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && target.id === "reply") { e.preventDefault(); $("composer").requestSubmit(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j" || e.key === "k") {
      const items = visibleItems(); if (!items.length) return;
      const at = items.findIndex(li => li.dataset.id === desk.openId);
      const next = items[Math.min(items.length - 1, Math.max(0, at + (e.key === "j" ? 1 : -1)))] || items[0];
      e.preventDefault(); desk.conversation.open(next.dataset.id);
    } else if (e.key === "r" && desk.openId) { e.preventDefault(); desk.composer.focus("reply"); }
    else if (e.key === "n" && desk.openId) { e.preventDefault(); desk.composer.focus("note"); }
    else if (e.key === "e" && desk.openId) { e.preventDefault(); $("resolve").click(); }
  }

  start().catch(e => { $("state").textContent = "failed to start: " + e.message; });
})();
