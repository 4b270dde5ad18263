/* ContactCenter web chat widget. One tag on any page:
 *   <script src="https://contact.example.com/webchat/widget.js" data-widget="site" async></script>
 * Options (data attributes): data-widget (required), data-language (en, es), data-colour (#rrggbb),
 * data-position (right, left); a signed-in user: data-user-id, data-user-email, data-user-name, data-user-hash
 * (HMAC-SHA256 of the user id with the service's identity secret, computed by the website's server).
 * Plain JavaScript, no framework; everything lives in a shadow root, so the page's styles and the widget's
 * never meet. Every text from the service is rendered with textContent, never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="/webchat/widget.js"]');
  if (!script || window.__ccWebchat) return;
  window.__ccWebchat = true;
  var base = new URL(script.src, location.href).origin;
  var opt = script.dataset;
  var widgetId = opt.widget || "";
  var lang = (opt.language || navigator.language || "en").slice(0, 2).toLowerCase() === "es" ? "es" : "en";
  var colour = /^#[0-9a-fA-F]{3,8}$/.test(opt.colour || opt.color || "") ? (opt.colour || opt.color) : "#1f6feb";
  var left = opt.position === "left";
  var user = opt.userId && opt.userHash ? { userId: opt.userId, email: opt.userEmail || null, name: opt.userName || null, userHash: opt.userHash } : null;
  var storeKey = "cc_webchat:" + widgetId + ":" + (user ? "u:" + user.userId : "anon");

  var T = {
    en: { open: "Chat with us", title: "Chat", close: "Close", send: "Send", placeholder: "Type a message…", start: "Start chat",
      name: "Name", email: "E-mail", topic: "Topic", queue: function (n, m) { return "An agent will be with you soon: you are number " + n + " in line" + (m ? " (about " + m + " min)." : "."); },
      typing: function (n) { return (n || "The agent") + " is typing…"; }, joined: function (n) { return (n || "An agent") + " joined the chat."; },
      resolved: "The conversation was closed. Write again any time.", reconnecting: "Reconnecting…", failed: "Not sent: tap to retry.",
      offline: "We're not online right now. Leave a message and we'll answer by e-mail.", leave: "Leave a message", message: "Message",
      left: "Thanks, we got your message and will answer by e-mail.", read: "Seen", you: "You", csat: "Thanks for your rating!" },
    es: { open: "Chatee con nosotros", title: "Chat", close: "Cerrar", send: "Enviar", placeholder: "Escriba un mensaje…", start: "Empezar",
      name: "Nombre", email: "Correo", topic: "Tema", queue: function (n, m) { return "Una persona le atenderá pronto: está en el lugar " + n + " de la fila" + (m ? " (unos " + m + " min)." : "."); },
      typing: function (n) { return (n || "La persona") + " está escribiendo…"; }, joined: function (n) { return (n || "Una persona") + " se unió al chat."; },
      resolved: "La conversación se cerró. Escriba cuando quiera.", reconnecting: "Reconectando…", failed: "No enviado: toque para reintentar.",
      offline: "No estamos en línea ahora. Deje un mensaje y le responderemos por correo.", leave: "Dejar un mensaje", message: "Mensaje",
      left: "Gracias, recibimos su mensaje y le responderemos por correo.", read: "Visto", you: "Usted", csat: "¡Gracias por su valoración!" }
  }[lang];

  var CSS = ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px}" +
    ".launcher{position:fixed;bottom:20px;" + (left ? "left" : "right") + ":20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:var(--cc);color:#fff;cursor:pointer;box-shadow:0 2px 10px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;bottom:80px;" + (left ? "left" : "right") + ":20px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);height:480px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;color:#1b1b1b;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);overflow:hidden}" +
    ".panel[hidden]{display:none}header{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;background:var(--cc);color:#fff;font-weight:600}" +
    "header button{background:none;border:0;color:#fff;cursor:pointer;font-size:18px}.log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}" +
    ".msg{max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}.visitor{align-self:flex-end;background:var(--cc);color:#fff}" +
    ".agent,.bot{align-self:flex-start;background:#eef0f3}.who{display:block;font-size:11px;opacity:.7;margin-bottom:2px}.system{align-self:center;font-size:12px;color:#666;text-align:center}" +
    ".pending{opacity:.6}.failed{background:#b3261e;cursor:pointer}.choices{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start}" +
    ".choices button{border:1px solid var(--cc);background:#fff;color:var(--cc);border-radius:14px;padding:5px 10px;cursor:pointer}.choices button:disabled{opacity:.5;cursor:default}" +
    ".status{min-height:18px;padding:0 12px;font-size:12px;color:#555}form{display:flex;gap:6px;padding:8px;border-top:1px solid #ddd}" +
    "textarea{flex:1;resize:none;border:1px solid #ccc;border-radius:8px;padding:6px;height:38px}form button,.form button{background:var(--cc);color:#fff;border:0;border-radius:8px;padding:0 14px;cursor:pointer}" +
    ".form{display:flex;flex-direction:column;gap:8px;padding:14px}.form label{display:flex;flex-direction:column;gap:3px;font-size:12px}.form input,.form select,.form textarea{border:1px solid #ccc;border-radius:6px;padding:7px;height:auto}.form button{padding:9px}";

  function el(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  }

  var host = el("div", { "data-contactcenter-webchat": widgetId });
  host.style.setProperty("--cc", colour);
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", { text: CSS }));
  var launcher = el("button", { class: "launcher", type: "button", "aria-haspopup": "dialog", text: T.open, onclick: function () { toggle(true); } });
  var log = el("div", { class: "log", role: "log", "aria-live": "polite" });
  var status = el("div", { class: "status", "aria-live": "polite" });
  var input = el("textarea", { "aria-label": T.message, placeholder: T.placeholder, oninput: typed, onkeydown: function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); } } });
  var composer = el("form", { onsubmit: function (e) { e.preventDefault(); submit(); } }, input, el("button", { type: "submit", text: T.send }));
  var body = el("div", { class: "body" });
  var panel = el("div", { class: "panel", role: "dialog", "aria-label": T.title, hidden: "" },
    el("header", {}, el("span", { text: T.title }), el("button", { type: "button", "aria-label": T.close, text: "×", onclick: function () { toggle(false); } })),
    body);
  root.appendChild(launcher);
  root.appendChild(panel);

  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { saved = {}; }
  var token = saved.token || null, session = null, lastId = 0, cursor = null, shown = {}, pending = {}, live = false, stream = null;
  var typingUntil = 0, typingName = null, stateInfo = null, lastTypingSent = 0, readSent = 0, stateTimer = null;

  function persist(extra) {
    for (var k in extra) saved[k] = extra[k];
    try { localStorage.setItem(storeKey, JSON.stringify(saved)); } catch (e) { /* private mode: the session lasts the page */ }
  }
  // Another tab of the same site opened or closed the panel, or started the session: follow it.
  window.addEventListener("storage", function (e) {
    if (e.key !== storeKey || !e.newValue) return;
    try { var other = JSON.parse(e.newValue); if (other.token && other.token !== token) { token = other.token; saved = other; } } catch (x) { /* ignore */ }
  });

  function call(method, path, payload) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-Webchat-Token"] = token;
    return fetch(base + path, { method: method, headers: headers, body: payload === undefined ? undefined : JSON.stringify(payload), mode: "cors", credentials: "omit" })
      .then(function (r) {
        if (r.status === 204) return null;
        return r.json().then(function (j) { if (!r.ok) { var err = new Error(j.detail || j.title || r.statusText); err.status = r.status; throw err; } return j; });
      });
  }

  function ensureSession() {
    if (session) return Promise.resolve(session);
    var resume = token ? call("GET", "/webchat/session").catch(function (e) { if (e.status === 401) { token = null; return null; } throw e; }) : Promise.resolve(null);
    return resume.then(function (s) {
      if (s) return s;
      return call("POST", "/webchat/sessions", { widgetId: widgetId, language: lang, user: user }).then(function (created) {
        token = created.token;
        persist({ token: token });
        return created;
      });
    }).then(function (s) { session = s; stateInfo = s.state; return s; });
  }

  function toggle(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    persist({ open: open });
    if (open) ensureSession().then(render).catch(function (e) { body.textContent = ""; body.appendChild(el("p", { class: "form system", role: "alert", text: e.message })); });
  }

  function render() {
    body.textContent = "";
    if (session.preChat.enabled && !session.preChat.done && !hasHistory()) return preChatForm();
    if (stateInfo && !stateInfo.online && !stateInfo.conversationId) return offlineForm();
    body.appendChild(log);
    body.appendChild(status);
    body.appendChild(composer);
    body.style.cssText = "display:flex;flex-direction:column;flex:1;min-height:0";
    if (!stream) { catchUp().then(connect); }
    input.focus();
  }

  function hasHistory() { return lastId > 0 || (stateInfo && stateInfo.conversationId); }

  function preChatForm() {
    var f = session.preChat, fields = [];
    var form = el("form", { class: "form", onsubmit: function (e) {
      e.preventDefault();
      var answers = {};
      fields.forEach(function (x) { if (x[1].value) answers[x[0]] = x[1].value; });
      call("POST", "/webchat/prechat", answers).then(function () { session.preChat.done = true; return refreshState(); }).then(render)
        .catch(function (err) { status.textContent = err.message; form.appendChild(status); });
    } });
    if (f.askName) { var n = el("input", { name: "name", autocomplete: "name" }); fields.push(["name", n]); form.appendChild(el("label", { text: T.name }, n)); }
    if (f.askEmail) { var m = el("input", { name: "email", type: "email", autocomplete: "email" }); fields.push(["email", m]); form.appendChild(el("label", { text: T.email }, m)); }
    if (f.topics.length) {
      var s = el("select", { name: "topic" });
      f.topics.forEach(function (t) { s.appendChild(el("option", { value: t.id, text: t.title })); });
      fields.push(["topic", s]);
      form.appendChild(el("label", { text: T.topic }, s));
    }
    form.appendChild(el("button", { type: "submit", text: T.start }));
    body.style.cssText = "";
    body.appendChild(form);
  }

  function offlineForm() {
    var mail = el("input", { name: "email", type: "email", required: "", autocomplete: "email" });
    var text = el("textarea", { name: "message", required: "", maxlength: "2000" });
    var note = el("p", { class: "system", text: T.offline });
    var form = el("form", { class: "form", onsubmit: function (e) {
      e.preventDefault();
      call("POST", "/webchat/offline", { email: mail.value, text: text.value, clientId: uuid() })
        .then(function () { body.textContent = ""; body.appendChild(el("p", { class: "form system", text: T.left })); })
        .catch(function (err) { note.textContent = err.message; });
    } }, note, el("label", { text: T.email }, mail), el("label", { text: T.message }, text), el("button", { type: "submit", text: T.leave }));
    body.style.cssText = "";
    body.appendChild(form);
  }

  function uuid() { return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)); }

  function show(e) {
    if (shown[e.id]) return;
    shown[e.id] = true;
    if (e.id > lastId) lastId = e.id;
    if (pending[e.id]) { pending[e.id].remove(); delete pending[e.id]; }
    var type = e.type;
    if (type === "conversation.queued" || type === "conversation.assigned" || type === "conversation.resolved") {
      if (type === "conversation.assigned") log.appendChild(el("div", { class: "system", text: T.joined(e.name) }));
      if (type === "conversation.resolved") log.appendChild(el("div", { class: "system", text: T.resolved }));
      refreshState();
    } else if (type === "csat.response") {
      log.appendChild(el("div", { class: "system", text: T.csat }));
    } else if (e.text || e.choices) {
      if (e.from === "agent") typingUntil = 0;
      var bubble = el("div", { class: "msg " + e.from, "data-event": String(e.id) });
      if (e.from !== "visitor" && e.name) bubble.appendChild(el("span", { class: "who", text: e.name }));
      bubble.appendChild(document.createTextNode(e.text || ""));
      log.appendChild(bubble);
      // Only the newest question's buttons can be tapped.
      var old = log.querySelectorAll(".choices button");
      for (var i = 0; i < old.length; i++) old[i].disabled = true;
      if (e.choices && e.choices.length) {
        var row = el("div", { class: "choices" });
        e.choices.forEach(function (c) {
          row.appendChild(el("button", { type: "button", text: c.title, onclick: function () { send(null, { id: c.id, title: c.title }); } }));
        });
        log.appendChild(row);
      }
    }
    log.scrollTop = log.scrollHeight;
    persist({ lastId: lastId });
    markRead();
  }

  function markRead() {
    if (panel.hidden || document.hidden || lastId <= readSent) return;
    readSent = lastId;
    call("POST", "/webchat/read", { eventId: lastId }).catch(function () { readSent = 0; });
  }
  document.addEventListener("visibilitychange", markRead);

  function catchUp() {
    return call("GET", "/webchat/messages?after=" + lastId).then(function (events) { events.forEach(show); }).catch(function () { /* the stream retries */ });
  }

  // Server-sent events over fetch (the token goes in a header, never in a URL); reconnects with Last-Event-ID,
  // the stream's own cursor (a database snapshot), or the last event id before the stream sent one.
  function connect() {
    var controller = new AbortController(), delay = 1000;
    stream = controller;
    function open() {
      if (stream !== controller) return;
      fetch(base + "/webchat/stream", { headers: { "X-Webchat-Token": token, "Last-Event-ID": cursor || String(lastId), Accept: "text/event-stream" }, signal: controller.signal, mode: "cors", credentials: "omit" })
        .then(function (r) {
          if (!r.ok || !r.body) throw new Error("stream " + r.status);
          live = true; delay = 1000; paintStatus();
          var reader = r.body.getReader(), decoder = new TextDecoder(), buffer = "";
          function pump() {
            return reader.read().then(function (chunk) {
              if (chunk.done) throw new Error("closed");
              buffer += decoder.decode(chunk.value, { stream: true });
              var parts = buffer.split("\n\n");
              buffer = parts.pop();
              parts.forEach(dispatch);
              return pump();
            });
          }
          return pump();
        })
        .catch(function () {
          live = false; paintStatus();
          if (stream === controller) setTimeout(open, delay);
          delay = Math.min(delay * 2, 15000);
        });
    }
    open();
  }

  function dispatch(block) {
    var name = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) name = line.slice(7);
      else if (line.indexOf("data: ") === 0) data += line.slice(6);
      else if (line.indexOf("id: ") === 0) cursor = line.slice(4);
    });
    if (!data) return;
    var payload = JSON.parse(data);
    if (name === "message") show(payload);
    else if (name === "typing") { typingName = payload.name; typingUntil = Date.now() + 4000; paintStatus(); setTimeout(paintStatus, 4100); }
  }

  function refreshState() {
    return call("GET", "/webchat/state").then(function (s) {
      stateInfo = s;
      clearTimeout(stateTimer);
      if (s.status === "queued") stateTimer = setTimeout(refreshState, 15000);
      paintStatus();
    }).catch(function () { /* shown again on the next event */ });
  }

  function paintStatus() {
    var text = "";
    if (!live && stream) text = T.reconnecting;
    else if (typingUntil > Date.now()) text = T.typing(typingName);
    else if (stateInfo && stateInfo.status === "queued" && stateInfo.position)
      text = T.queue(stateInfo.position, stateInfo.expectedWaitSeconds ? Math.max(1, Math.round(stateInfo.expectedWaitSeconds / 60)) : 0);
    status.textContent = text;
  }

  function typed() {
    var now = Date.now();
    if (now - lastTypingSent < 3000 || !input.value) return;
    lastTypingSent = now;
    call("POST", "/webchat/typing").catch(function () { /* typing is best effort */ });
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text, null);
  }

  // A plain POST, whatever the live connection is doing; the same clientId on a retry stores it once.
  function send(text, choice, clientId, bubble) {
    clientId = clientId || uuid();
    bubble = bubble || log.appendChild(el("div", { class: "msg visitor pending", text: text || choice.title }));
    bubble.className = "msg visitor pending";
    call("POST", "/webchat/messages", { text: text, choice: choice, clientId: clientId }).then(function (r) {
      if (shown[r.eventId]) bubble.remove(); else pending[r.eventId] = bubble;
      if (!live) catchUp();
      if (r.conversationId && !stateInfo.conversationId) refreshState();
    }).catch(function () {
      bubble.className = "msg visitor failed";
      bubble.title = T.failed;
      bubble.onclick = function () { bubble.onclick = null; send(text, choice, clientId, bubble); };
    });
    log.scrollTop = log.scrollHeight;
  }

  function mount() {
    document.body.appendChild(host);
    if (saved.open) toggle(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
