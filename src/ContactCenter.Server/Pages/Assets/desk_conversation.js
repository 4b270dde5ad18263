// The desk's conversation view: the customer's unified timeline, the handoff context, the customer card, presence
// and the actions (resolve, reopen, transfer, hand back to the bot, priority, tags, take over).
"use strict";
window.desk = window.desk || {};
window.desk.conversation = (() => {
  const $ = id => document.getElementById(id);
  const desk = window.desk;
  let conv = null, customer = null, events = [], statuses = new Map(), viewers = [], typing = new Map(), refreshTimer = null;

  const STATUS_TEXT = { pending: "queued", dispatching: "sending", accepted: "queued", queued: "queued", sending: "sending", sent: "sent",
    delivered: "delivered", read: "read", failed: "failed", undelivered: "undelivered", canceled: "canceled" };

  async function open(id) {
    if (desk.openId !== id) window.dispatchEvent(new CustomEvent("cc:conversation-close", { detail: { conversationId: desk.openId } }));
    desk.openId = id;
    typing.clear();
    history.replaceState(null, "", "/desk?conversation=" + encodeURIComponent(id));
    for (const li of document.querySelectorAll("#inbox li[data-id]")) li.classList.toggle("active", li.dataset.id === id);
    $("conversation").hidden = false; $("side").hidden = false;
    desk.composer.reset();
    try { await refresh(); } catch (e) { $("conversation-meta").textContent = e.message; return; }
    desk.heartbeat();
    window.dispatchEvent(new CustomEvent("cc:conversation-open", { detail: { conversationId: id, customerId: conv.customerId, channel: conv.channel } }));
  }

  function close() {
    window.dispatchEvent(new CustomEvent("cc:conversation-close", { detail: { conversationId: desk.openId } }));
    desk.openId = null; desk.openCustomerId = null;
    $("conversation").hidden = true; $("side").hidden = true;
  }

  async function refresh() {
    const id = desk.openId;
    const [c, rules, messages, tags, who] = await Promise.all([
      cc.api("/api/conversations/" + id), cc.api("/api/conversations/" + id + "/reply-rules"),
      cc.api("/api/conversations/" + id + "/messages"), cc.api("/api/conversations/" + id + "/tags"),
      cc.api("/api/conversations/" + id + "/viewers")]);
    if (id !== desk.openId) return;
    conv = c; desk.conv = c; desk.openCustomerId = c.customerId; viewers = who;
    statuses = new Map(messages.map(m => [m.id, m]));
    const [person, page] = await Promise.all([cc.api("/api/customers/" + c.customerId), cc.api("/api/customers/" + c.customerId + "/timeline?limit=100")]);
    customer = person; events = page.events.slice().reverse();
    renderHead(); renderHandoff(); renderTimeline(); renderCustomer(); renderActions(tags); renderPresence();
    desk.composer.setRules(rules, conv, customer);
    markRead();
  }

  function changed() { clearTimeout(refreshTimer); refreshTimer = setTimeout(() => refresh().catch(() => {}), 100); }

  async function markRead() {
    const mine = events.filter(e => e.conversationId === conv.id);
    if (!mine.length || !desk.me.agentId) return;
    const last = Math.max(...mine.map(e => e.id));
    try { await cc.api("/api/conversations/" + conv.id + "/read", { method: "POST", body: { eventId: last } }); desk.reloadInbox(); } catch { /* shown next time */ }
  }

  function isOwner() { return !conv.assignee || conv.assignee === desk.me.agentId; }

  function renderHead() {
    const name = customer.name || "Customer " + customer.id.slice(-8);
    $("conversation-title").textContent = name + " · " + conv.channel;
    $("conversation-meta").textContent = conv.status + (conv.queue ? " · queue " + conv.queue : "") +
      (conv.assignee ? " · assigned to " + conv.assignee : " · not assigned") + " · priority " + conv.priority;
    const banner = $("owner-banner");
    const open = conv.status !== "resolved" && conv.status !== "merged";
    banner.hidden = !open || isOwner();
    $("owner-text").textContent = conv.assignee && !isOwner()
      ? "Assigned to " + conv.assignee + ". You can read it; replying needs taking it over first (the owner is told on the timeline)." : "";
    $("take-over").hidden = !desk.me.agentId;
    $("pick").hidden = true;
    if (open && conv.status === "queued" && desk.me.agentId) { banner.hidden = false; $("owner-text").textContent = "Waiting in " + conv.queue + "."; $("take-over").hidden = true; $("pick").hidden = false; }
  }

  function renderHandoff() {
    const h = conv.handoff, box = $("handoff");
    box.hidden = !h;
    if (!h) { box.replaceChildren(); return; }
    const rows = [["Intent", h.intent], ["Reason", h.reason || h.trigger], ["Summary", h.summary],
      ["Sentiment", h.sentiment && (h.sentiment.label + (h.sentiment.score != null ? " (" + h.sentiment.score + ")" : ""))]];
    for (const [k, v] of Object.entries(h.slots || {})) rows.push([k, typeof v === "string" ? v : JSON.stringify(v)]);
    for (const r of h.recentConversations || []) rows.push(["On " + r.channel, (r.handoffSummary || r.handoffReason || r.status) + " (" + new Date(r.openedAt).toLocaleString() + ")"]);
    // A call's context: the IVR path, and the conversation it continues or the customer's other open ones.
    const path = (h.choices || []).map(c => c.option || c.input).filter(Boolean);
    if (path.length) rows.push(["IVR", path.join(" › ")]);
    const c = h.continues;
    if (c) rows.push(["Continues", c.channel + (c.handoff && (c.handoff.summary || c.handoff.reason) ? ": " + (c.handoff.summary || c.handoff.reason) : "")]);
    else if ((h.otherOpenConversations || []).length) rows.push(["Also open", h.otherOpenConversations.map(o => o.channel + " (" + o.status + ")").join(", ")]);
    box.replaceChildren(cc.el("h3", {}, "Handoff from the bot"),
      cc.el("dl", {}, rows.filter(r => r[1]).flatMap(([k, v]) => [cc.el("dt", {}, k), cc.el("dd", {}, String(v))])));
  }

  function describe(e) {
    const d = e.data || {};
    switch (e.type) {
      case "call.started": return "Call started";
      case "call.ivr": return "IVR " + (d.node || "menu") + (d.option ? ": " + d.option : d.input ? ": “" + d.input + "”" : d.kind ? " (" + d.kind + ")" : "");
      case "call.queued": return "Call queued" + (d.queue ? " in " + d.queue : "");
      case "call.connected": return "Call connected" + (d.agentId ? " to " + d.agentId : "");
      case "call.ended": return "Call ended" + (d.durationSeconds != null ? " after " + cc.duration(d.durationSeconds) : "") + (d.outcome ? " (" + d.outcome + ")" : "");
      case "call.agent_missed": return "Call not taken" + (d.agentId ? " by " + d.agentId : "") + (d.dialStatus ? " (" + d.dialStatus + ")" : "") + ": back to the queue";
      case "call.wrap_up": return "Wrap-up" + (d.agentId ? " by " + d.agentId : "") + ": " + cc.duration(Number(d.seconds));
      case "handoff.to_agent": return "Bot handed over to people" + (d.queue ? " (" + d.queue + ")" : "") + (d.reason ? ": " + d.reason : "");
      case "handoff.to_bot": return "Handed back to the bot" + (d.node ? " at " + d.node : "");
      case "conversation.queued": return "Queued in " + (d.queue || "a queue");
      case "conversation.assigned": return "Assigned to " + (d.agentId || "an agent");
      case "conversation.transferred": return "Transferred to " + (d.to && (d.to.queue || d.to.agentId)) + (d.reason ? ": " + d.reason : "");
      case "conversation.taken_over": return (d.by || "An agent") + " took it over" + (d.from && d.from.agentId ? " from " + d.from.agentId : "");
      case "conversation.resolved": return "Resolved" + (d.by ? " by " + d.by : "");
      case "conversation.reopened": return "Reopened" + (d.by ? " by " + d.by : "");
      case "conversation.priority_changed": return "Priority " + d.from + " → " + d.to;
      case "conversation.tagged": return "Tagged " + (d.tags || []).join(", ");
      case "conversation.untagged": return "Untagged " + (d.tags || []).join(", ");
      case "sla.warning": return "Response target close: " + (d.kind || "");
      case "sla.breached": return "Response target missed: " + (d.kind || "");
      case "csat.response": return "Satisfaction: " + d.score;
      case "customer.opted_out": return "Opted out" + (d.reason ? " (" + d.reason + ")" : "");
      case "customer.opted_in": return "Opted in again";
      case "customer.merged": return "Customers merged";
      default: return e.type;
    }
  }

  function media(e) {
    const list = (e.data && (e.data.media || e.data.attachments)) || [];
    return list.map(m => {
      const url = typeof m === "string" ? m : (m.url || m.mediaUrl);
      return url ? cc.el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, "attachment" + (m.contentType ? " (" + m.contentType + ")" : "")) : null;
    });
  }

  // Recordings play through the service (/api/recordings/{sid}: it fetches them from Twilio with its own credentials,
  // the browser never sees them); preload none, so a long timeline does not fetch every recording when it is drawn.
  function player(recordingSid, title) {
    if (!recordingSid) return cc.el("span", { class: "muted" }, "no recording");
    return cc.el("audio", { controls: true, preload: "none", src: "/api/recordings/" + encodeURIComponent(recordingSid), "aria-label": title });
  }

  function renderTimeline() {
    const list = $("timeline");
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    list.replaceChildren(...events.filter(e => e.type !== "message.status").map(e => {
      const other = e.conversationId !== conv.id ? " other-conversation" : "";
      const when = cc.el("span", { class: "when" }, new Date(e.occurredAt).toLocaleString() + (e.channel ? " · " + e.channel : ""));
      const data = e.data || {};
      if (e.type === "message.received" || e.type === "message.sent" || e.type === "bot.reply") {
        const out = e.direction === "outbound";
        const m = data.messageId && statuses.get(data.messageId);
        const status = m ? m.status : data.status;
        const retry = m && (m.status === "failed" || m.status === "undelivered")
          ? cc.el("button", { type: "button", class: "retry", onclick: () => retryMessage(m) }, "Retry") : null;
        return cc.el("li", { class: (out ? "outbound" : "inbound") + other, dataset: { type: e.type, event: e.id, message: data.messageId || "" } },
          cc.el("div", { class: "bubble" },
            cc.el("div", { class: "text" }, e.text ?? (data.content && data.content.template ? "Template " + data.content.template.contentSid : "")), ...media(e)),
          when, e.type === "bot.reply" ? cc.el("span", { class: "muted" }, " · bot") : out ? cc.el("span", { class: "muted" }, " · " + (data.author || "")) : null,
          status && out ? cc.el("span", { class: "status " + status, title: m && m.errorMessage ? m.errorMessage : "" },
            STATUS_TEXT[status] || status, m && m.errorMessage ? ": " + m.errorMessage + (m.errorCode ? " (" + m.errorCode + ")" : "") : "") : null, retry);
      }
      if (e.type === "note.added") {
        return cc.el("li", { class: "note outbound" + other, dataset: { type: e.type, event: e.id } },
          cc.el("div", { class: "bubble" }, cc.el("strong", {}, "Internal note · " + (data.author || "")), cc.el("div", { class: "text" }, e.text || "")), when);
      }
      if (e.type === "call.voicemail" || e.type === "call.recording") {
        const title = (e.type === "call.voicemail" ? "Voicemail" : "Call recording" + (data.agentId ? " (" + data.agentId + ")" : "")) +
          (data.durationSeconds ? " · " + cc.duration(Number(data.durationSeconds)) : "");
        return cc.el("li", { class: (e.type === "call.voicemail" ? "inbound" : "system recording") + other, dataset: { type: e.type, event: e.id } },
          cc.el("div", { class: "bubble" }, cc.el("div", {}, title), player(data.recordingSid, title)), when);
      }
      return cc.el("li", { class: "system" + other, dataset: { type: e.type, event: e.id } }, describe(e), " · ", when);
    }));
    if (nearBottom || !list.dataset.shown || list.dataset.shown !== conv.id) list.scrollTop = list.scrollHeight;
    list.dataset.shown = conv.id;
  }

  async function retryMessage(m) {
    try { await cc.api("/api/conversations/" + conv.id + "/messages/" + m.id + "/retry", { method: "POST" }); changed(); }
    catch (e) { $("reply-error").textContent = e.message; }
  }

  async function renderCustomer() {
    $("customer-name").value = customer.name || "";
    $("customer-email").value = customer.email || "";
    $("identities").replaceChildren(...customer.identities.map(i => cc.el("li", {}, i.channel + ": " + i.address,
      i.optedOut ? cc.el("span", { class: "badge late" }, "opted out") : "")));
    let past = [];
    try { past = await cc.api("/api/conversations?customerId=" + customer.id + "&status=resolved&limit=10"); } catch { /* the open ones still show */ }
    const all = [...customer.openConversations, ...past.filter(p => !customer.openConversations.some(o => o.id === p.id))];
    $("customer-conversations").replaceChildren(...all.map(c => cc.el("li", {},
      c.id === conv.id ? cc.el("strong", {}, c.channel + " · " + c.status + " (this one)")
        : cc.el("a", { href: "/desk?conversation=" + c.id, onclick: ev => { ev.preventDefault(); open(c.id); } }, c.channel + " · " + c.status),
      " ", cc.el("span", { class: "muted" }, new Date(c.openedAt).toLocaleDateString()))));
    $("merge").hidden = !["supervisor", "admin"].includes(desk.me.role);
  }

  async function renderActions(tags) {
    const closed = conv.status === "resolved" || conv.status === "merged";
    $("resolve").hidden = closed; $("reopen").hidden = conv.status !== "resolved";
    $("priority").value = conv.priority;
    $("tags").replaceChildren(...tags.map(t => cc.el("span", { class: "badge" }, "#" + t,
      cc.el("button", { type: "button", "aria-label": "Remove tag " + t, onclick: () => act(() => cc.api("/api/conversations/" + conv.id + "/tags/" + encodeURIComponent(t), { method: "DELETE" }), "Tag removed") }, "×"))));
    const target = $("transfer-target");
    if (!target.options.length) {
      try {
        const [queues, agents] = await Promise.all([cc.api("/api/queues?limit=1"), cc.api("/api/agents")]);
        target.replaceChildren(cc.el("optgroup", { label: "Queues" }, queues.map(q => cc.el("option", { value: "queue:" + q.name }, q.name))),
          cc.el("optgroup", { label: "Agents" }, agents.map(a => cc.el("option", { value: "agent:" + a.id }, a.name + " (" + a.status + ")"))));
      } catch { /* transfer stays empty */ }
    }
  }

  async function act(call, done) {
    $("action-state").textContent = "…";
    try { await call(); $("action-state").textContent = done; await refresh(); desk.reloadInbox(); }
    catch (e) { $("action-state").textContent = e.message; }
  }

  function renderPresence() {
    const me = desk.me.agentId;
    const others = viewers.filter(v => v.agentId !== me);
    const now = Date.now();
    const typers = [...typing.entries()].filter(([id, t]) => id !== me && t.until > now).map(([, t]) => t.name);
    $("presence").textContent = (others.length ? "Also open by " + others.map(v => v.name).join(", ") + "." : "") +
      (typers.length ? " " + typers.join(", ") + (typers.length > 1 ? " are" : " is") + " typing…" : "");
  }

  async function presence(change) {
    if (change.type === "typing") {
      typing.set(change.agentId, { name: change.name, until: Date.now() + 4000 });
      renderPresence(); setTimeout(renderPresence, 4100);
      return;
    }
    try { viewers = await cc.api("/api/conversations/" + desk.openId + "/viewers"); renderPresence(); } catch { /* next change */ }
  }

  function wire() {
    $("resolve").addEventListener("click", () => act(() => cc.api("/api/conversations/" + conv.id + "/resolve", { method: "POST" }), "Resolved"));
    $("reopen").addEventListener("click", () => act(() => cc.api("/api/conversations/" + conv.id + "/reopen", { method: "POST" }), "Reopened"));
    $("take-over").addEventListener("click", () => act(() => cc.api("/api/conversations/" + conv.id + "/takeover", { method: "POST", body: {} }), "Taken over: it is yours now"));
    $("pick").addEventListener("click", () => act(() => cc.api("/api/conversations/" + conv.id + "/assign", { method: "POST", body: {} }), "It is yours now"));
    $("tag-form").addEventListener("submit", e => {
      e.preventDefault();
      const tag = $("tag-input").value.trim(); if (!tag) return;
      act(() => cc.api("/api/conversations/" + conv.id + "/tags", { method: "POST", body: { tags: [tag] } }), "Tagged").then(() => { $("tag-input").value = ""; });
    });
    $("transfer").addEventListener("submit", e => {
      e.preventDefault();
      const [kind, name] = $("transfer-target").value.split(/:(.*)/);
      const body = { reason: $("transfer-note").value.trim() || null }; body[kind === "queue" ? "queue" : "agentId"] = name;
      act(() => cc.api("/api/conversations/" + conv.id + "/transfer", { method: "POST", body }), "Transferred").then(() => { $("transfer-note").value = ""; });
    });
    $("to-bot").addEventListener("submit", e => {
      e.preventDefault();
      act(() => cc.api("/api/conversations/" + conv.id + "/handoff", { method: "POST", body: { to: "bot", node: $("bot-node").value.trim() || null } }), "Back with the bot");
    });
    $("priority-form").addEventListener("submit", e => {
      e.preventDefault();
      act(() => cc.api("/api/conversations/" + conv.id + "/priority", { method: "POST", body: { priority: Number($("priority").value) } }), "Priority set");
    });
    $("profile").addEventListener("submit", async e => {
      e.preventDefault();
      try {
        customer = await cc.api("/api/customers/" + customer.id, { method: "PATCH", body: { name: $("customer-name").value, email: $("customer-email").value } });
        $("profile-state").textContent = "Saved"; renderHead(); desk.reloadInbox();
      } catch (err) { $("profile-state").textContent = err.message; }
    });
    $("merge").addEventListener("submit", e => {
      e.preventDefault();
      act(() => cc.api("/api/customers/" + customer.id + "/merge", { method: "POST", body: { otherCustomerId: $("merge-other").value.trim() } }), "Merged");
    });
  }

  wire();
  return { open, close, refresh, changed, presence, isOwner: () => conv && isOwner() };
})();
