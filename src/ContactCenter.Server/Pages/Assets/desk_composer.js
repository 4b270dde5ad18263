// The desk's composer: replies on the conversation's channel under its rules (WhatsApp's 24-hour window and
// templates, Meta's HUMAN_AGENT tag, SMS characters and segments, opt-outs), internal notes with @mentions, and
// canned replies searched with "/" and filled in for the conversation before sending.
"use strict";
window.desk = window.desk || {};
window.desk.composer = (() => {
  const $ = id => document.getElementById(id);
  const desk = window.desk;
  let rules = null, conv = null, key = null, lastTyping = 0, canned = [], selected = -1, searchTimer = null;

  // GSM 03.38 basic set and its extension (each extension character takes two septets).
  const GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const GSM_EXT = "^{}\\[~]|€\f";

  function smsCount(text) {
    let septets = 0, gsm = true;
    for (const ch of text) {
      if (GSM.includes(ch)) septets += 1; else if (GSM_EXT.includes(ch)) septets += 2; else { gsm = false; break; }
    }
    if (gsm) return { encoding: "GSM-7", units: septets, segments: septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153) };
    const units = [...text].reduce((n, ch) => n + (ch.codePointAt(0) > 0xffff ? 2 : 1), 0);
    return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
  }

  function mode() { return document.querySelector("#composer [name=mode]:checked").value; }

  function reset() {
    $("reply").value = ""; $("reply-error").textContent = ""; $("counter").textContent = ""; key = null;
    closeCanned();
  }

  function focus(which) {
    document.querySelector(`#composer [name=mode][value=${which}]`).checked = true;
    apply(); $("reply").focus();
  }

  function setRules(r, c) { rules = r; conv = c; apply(); }

  function apply() {
    if (!rules) return;
    const note = mode() === "note", v = rules.rules, closed = conv.status === "resolved" || conv.status === "merged";
    $("composer").classList.toggle("note", note);
    $("reply-label").textContent = note ? "Internal note (never sent; @agent-id mentions them)" : "Reply";
    $("send").textContent = note ? "Add note" : "Send";
    const info = $("rules");
    info.className = "rules";
    let templatesOnly = false, blocked = false;
    if (note) { info.textContent = "Only your team sees notes."; info.className = "rules plain"; }
    else if (closed) { info.textContent = "This conversation is " + conv.status + ": reopen it to reply."; blocked = true; }
    else if (v.optedOut) {
      blocked = true;
      info.textContent = "The customer opted out of " + v.channel + (v.optedOut.at ? " on " + new Date(v.optedOut.at).toLocaleString() : "") +
        (v.optedOut.reason ? " (" + v.optedOut.reason + ")" : "") + ": nothing can be sent until they opt in again.";
    } else if (v.freeText && v.freeText.code === "whatsapp-template-required") {
      templatesOnly = true;
      info.textContent = "The WhatsApp 24-hour window is closed" + (v.lastInboundAt ? " (the customer last wrote " + new Date(v.lastInboundAt).toLocaleString() + ")" : "") +
        ": only approved templates can be sent." + (rules.templates.length ? "" : " No templates are configured (Desk:Templates).");
      blocked = !rules.templates.length;
    } else if (v.freeText) { blocked = true; info.textContent = v.freeText.detail; }
    else if (v.agentOnly) { info.textContent = "More than 24 hours since the customer wrote: this reply goes as a human agent's (Meta's HUMAN_AGENT tag, up to 7 days)."; }
    else if (v.channel === "whatsapp" && v.lastInboundAt) {
      info.textContent = "WhatsApp window open until " + new Date(Date.parse(v.lastInboundAt) + 24 * 3600 * 1000).toLocaleString() + ".";
      info.className = "rules plain";
    } else { info.textContent = "Replies go out on " + v.channel + "."; info.className = "rules plain"; }
    $("template-box").hidden = !templatesOnly;
    $("text-box").hidden = templatesOnly;
    $("reply").disabled = blocked && !note;
    $("send").disabled = blocked && !note;
    if (templatesOnly) renderTemplates();
    count();
  }

  function renderTemplates() {
    const select = $("template-select");
    if (select.options.length !== rules.templates.length) {
      select.replaceChildren(...rules.templates.map(t => cc.el("option", { value: t.contentSid }, t.name + " (" + t.language + ")")));
      select.onchange = renderTemplates;
    }
    const t = rules.templates.find(x => x.contentSid === select.value) || rules.templates[0];
    if (!t) return;
    const box = $("template-variables");
    if (box.dataset.sid !== t.contentSid) {
      box.dataset.sid = t.contentSid;
      box.replaceChildren(...t.variables.map(name => {
        const id = "template-var-" + name;
        const input = cc.el("input", { id, dataset: { name }, autocomplete: "off" });
        input.addEventListener("input", preview);
        return cc.el("div", {}, cc.el("label", { for: id }, "Variable {{" + name + "}}"), input);
      }));
    }
    preview();
  }

  function templateValues() {
    const values = {};
    for (const input of document.querySelectorAll("#template-variables input")) values[input.dataset.name] = input.value.trim();
    return values;
  }

  function preview() {
    const t = rules.templates.find(x => x.contentSid === $("template-select").value);
    if (!t) return;
    const values = templateValues();
    $("template-preview").textContent = t.body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (m, n) => values[n] || m);
  }

  function count() {
    const text = $("reply").value;
    if (mode() === "reply" && rules && rules.rules.channel === "sms") {
      const c = smsCount(text);
      $("counter").textContent = text.length + " characters · " + c.segments + " segment" + (c.segments === 1 ? "" : "s") + " (" + c.encoding + ")";
    } else $("counter").textContent = text.length > rules?.maxLength * 0.8 ? text.length + " of " + rules.maxLength + " characters" : "";
  }

  async function onInput() {
    key = null;
    $("reply-error").textContent = "";
    count();
    const text = $("reply").value;
    if (mode() === "reply" && text.startsWith("/")) searchCanned(text.slice(1));
    else closeCanned();
    if (mode() === "reply" && desk.openId && Date.now() - lastTyping > 2500 && text.length > 0) {
      lastTyping = Date.now();
      cc.api("/api/desk/typing", { method: "POST", body: { conversationId: desk.openId } }).catch(() => {});
    }
  }

  function searchCanned(q) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      try { canned = await cc.api("/api/canned-replies?limit=20&q=" + encodeURIComponent(q.trim())); } catch { canned = []; }
      selected = canned.length ? 0 : -1;
      renderCanned();
    }, 120);
  }

  function renderCanned() {
    const list = $("canned-list");
    list.hidden = !$("reply").value.startsWith("/");
    list.replaceChildren(...(canned.length ? canned.map((c, i) => {
      const li = cc.el("li", { role: "option", id: "canned-" + c.id, "aria-selected": String(i === selected), dataset: { id: c.id } },
        cc.el("strong", {}, c.title), " ", cc.el("span", { class: "badge" }, c.language), " ", cc.el("span", { class: "muted" }, c.text.slice(0, 80)));
      li.addEventListener("mousedown", e => { e.preventDefault(); pickCanned(c); });
      return li;
    }) : [cc.el("li", { class: "muted" }, "No canned reply matches.")]));
    $("reply").setAttribute("aria-activedescendant", selected >= 0 && canned[selected] ? "canned-" + canned[selected].id : "");
  }

  function closeCanned() { $("canned-list").hidden = true; canned = []; selected = -1; }

  async function pickCanned(c) {
    closeCanned();
    try {
      const filled = await cc.api("/api/canned-replies/" + c.id + "/filled?conversationId=" + desk.openId);
      $("reply").value = filled.text; key = null;
      $("reply-error").textContent = filled.missing.length ? "Fill in by hand: {" + filled.missing.join("}, {") + "}" : "";
    } catch (e) { $("reply-error").textContent = e.message; }
    count(); $("reply").focus();
  }

  function onKeyDown(e) {
    if ($("canned-list").hidden || !canned.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault(); selected = (selected + (e.key === "ArrowDown" ? 1 : canned.length - 1)) % canned.length; renderCanned();
    } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) { e.preventDefault(); pickCanned(canned[selected]); }
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); closeCanned(); }
  }

  async function submit(e) {
    e.preventDefault();
    const error = $("reply-error");
    error.textContent = "";
    const id = desk.openId;
    if (!id || !rules) return;
    const note = mode() === "note";
    let body;
    if (!note && !$("template-box").hidden) {
      const sid = $("template-select").value, values = templateValues();
      const empty = Object.entries(values).filter(([, v]) => !v).map(([n]) => "{{" + n + "}}");
      if (empty.length) { error.textContent = "Fill in " + empty.join(", ") + " first."; return; }
      body = { template: { contentSid: sid, variables: values } };
    } else {
      const text = $("reply").value.trim();
      if (!text) { error.textContent = note ? "Write the note first." : "Write a reply first."; return; }
      if (text.length > rules.maxLength) { error.textContent = "This is " + text.length + " characters; at most " + rules.maxLength + " can be sent."; return; }
      if (!note && /\{[A-Za-z][\w.]*\}/.test(text)) { error.textContent = "Fill in the variables in braces first: " + text.match(/\{[A-Za-z][\w.]*\}/g).join(", "); return; }
      body = note ? { text } : { text };
    }
    // One key per reply: pressing Send again after a lost answer cannot send it twice.
    key ??= crypto.randomUUID();
    if (!note) body.idempotencyKey = key;
    $("send").disabled = true;
    try {
      await cc.api("/api/conversations/" + id + (note ? "/notes" : "/messages"), { method: "POST", body });
      $("reply").value = ""; key = null; count();
      for (const input of document.querySelectorAll("#template-variables input")) input.value = "";
      desk.conversation.changed();
    } catch (err) {
      error.textContent = err.problem && err.problem.code === "not-owner"
        ? (err.problem.detail || err.message) + " Use “Take over” to answer it yourself."
        : err.message;
    } finally { $("send").disabled = false; apply(); }
  }

  $("reply").addEventListener("input", onInput);
  $("reply").addEventListener("keydown", onKeyDown);
  $("reply").addEventListener("blur", () => setTimeout(closeCanned, 150));
  $("composer").addEventListener("submit", submit);
  for (const r of document.querySelectorAll("#composer [name=mode]")) r.addEventListener("change", () => { closeCanned(); apply(); });

  return { reset, focus, setRules, smsCount };
})();
