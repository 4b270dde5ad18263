// The agent's softphone: Twilio's Voice JavaScript SDK (twilio_voice.min.js, @twilio/voice-sdk 2.x) in a panel
// of its own. It registers while the agent is available, renews its token before it runs out, shows who calls
// and why (caller, IVR path, handoff context) before the agent answers, and offers answer, decline, mute,
// hang up, keys and "call the customer". Mount it on any element with data-softphone (the desk's panel).
// Plain script, no build step; all customer text is set as text (cc.el), never as HTML.
"use strict";
window.ccVoice = window.ccVoice || {};
// The one place the page gets its Device from: a test replaces it with a stand-in before the page loads.
ccVoice.createDevice = ccVoice.createDevice || ((token, options) => new Twilio.Device(token, options));

ccVoice.Softphone = class {
  constructor(root) {
    this.root = root;
    this.device = null;
    this.call = null;
    this.conversationId = null;
    this.refreshTimer = null;
    this.available = false;
    this.render();
  }

  render() {
    const { el } = cc;
    this.statusLine = el("p", { class: "softphone-status", "data-role": "status" }, "Starting…");
    this.caller = el("strong", { "data-role": "caller" });
    this.ivr = el("p", { class: "softphone-ivr", "data-role": "ivr" });
    this.context = el("p", { class: "softphone-context", "data-role": "context" });
    this.callPanel = el("section", { class: "softphone-call", hidden: true, "data-role": "call" },
      el("p", {}, "Call from ", this.caller), this.ivr, this.context);
    const button = (role, label, handler) => el("button", { type: "button", "data-role": role, hidden: true, onclick: handler }, label);
    this.buttons = {
      answer: button("answer", "Answer", () => this.answer()),
      decline: button("decline", "Decline", () => this.decline()),
      mute: button("mute", "Mute", () => this.toggleMute()),
      hangup: button("hangup", "Hang up", () => this.hangUp()),
      resolve: button("resolve", "Resolve", () => this.resolve()),
    };
    this.keys = el("input", { type: "text", inputmode: "tel", maxlength: "32", placeholder: "Keys", "data-role": "keys", hidden: true,
      onkeydown: e => { if (e.key === "Enter") { this.sendKeys(this.keys.value); this.keys.value = ""; } } });
    this.number = el("input", { type: "tel", placeholder: "+1 415 555 0100", "data-role": "number" });
    this.dialButton = el("button", { type: "button", "data-role": "dial", onclick: () => this.dial(this.number.value) }, "Call");
    this.root.replaceChildren(el("div", { class: "softphone" },
      el("h2", {}, "Phone"), this.statusLine, this.callPanel,
      el("div", { class: "softphone-actions" }, ...Object.values(this.buttons), this.keys),
      el("div", { class: "softphone-dial" }, this.number, this.dialButton)));
  }

  status(text) { this.statusLine.textContent = text; }

  show(...roles) {
    for (const [role, button] of Object.entries(this.buttons)) button.hidden = !roles.includes(role);
    this.keys.hidden = !roles.includes("keys");
  }

  async start() {
    let answer;
    try {
      answer = await cc.api("/api/agents/me/voice-token");
    } catch (e) {
      this.status(e.status === 503 ? "The phone is off: " + e.message : "No phone: " + e.message);
      return;
    }
    const device = ccVoice.createDevice(answer.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
    this.device = device;
    this.schedule(answer.expiresAt);
    device.on("registered", () => this.status("Ready for calls"));
    device.on("unregistered", () => this.status("Not taking calls"));
    device.on("error", e => this.status("Phone error: " + (e && e.message || e)));
    device.on("incoming", call => this.incoming(call));
    device.on("tokenWillExpire", () => this.refresh());
    this.status("Not taking calls");
    const session = await cc.session();
    if (session.agentId) {
      const me = await cc.api("/api/agents/" + encodeURIComponent(session.agentId)).catch(() => null);
      this.setAvailable(me && me.status === "available");
    }
    document.addEventListener("cc:presence", e => this.setAvailable(e.detail && e.detail.status === "available"));
  }

  /** Registered (rings) only while the agent is available. */
  setAvailable(on) {
    if (!this.device || on === this.available) return;
    this.available = on;
    if (on) this.device.register(); else this.device.unregister();
  }

  /** A new token a minute before the current one runs out (the SDK's tokenWillExpire also asks for one). */
  schedule(expiresAt) {
    clearTimeout(this.refreshTimer);
    const due = Math.max(5000, Date.parse(expiresAt) - Date.now() - 60000);
    this.refreshTimer = setTimeout(() => this.refresh(), due);
  }

  async refresh() {
    try {
      const answer = await cc.api("/api/agents/me/voice-token");
      this.device.updateToken(answer.token);
      this.schedule(answer.expiresAt);
    } catch (e) {
      this.status("Could not renew the phone's token: " + e.message);
      this.refreshTimer = setTimeout(() => this.refresh(), 15000);
    }
  }

  async incoming(call) {
    this.call = call;
    const params = call.customParameters || new Map();
    this.conversationId = params.get("conversationId") || null;
    this.caller.textContent = (call.parameters && call.parameters.From) || "unknown caller";
    this.ivr.textContent = "";
    this.context.textContent = "";
    this.callPanel.hidden = false;
    this.status(params.get("direction") === "callback" ? "Callback ringing" : "Ringing");
    this.show("answer", "decline");
    call.on("accept", () => { this.status("On the call"); this.show("mute", "hangup", "keys"); });
    call.on("cancel", () => this.ended("The caller hung up"));
    call.on("reject", () => this.ended("Declined: the call went back to the queue"));
    call.on("disconnect", () => this.ended("Call ended: wrap up and resolve"));
    if (this.conversationId) await this.describe(this.conversationId);
  }

  /** Who calls and why: the customer's name, the IVR choices and what they said elsewhere (the handoff context). */
  async describe(conversationId) {
    const conversation = await cc.api("/api/conversations/" + conversationId).catch(() => null);
    if (!conversation) return;
    const customer = await cc.api("/api/customers/" + conversation.customerId).catch(() => null);
    if (customer && customer.name) this.caller.textContent = customer.name + " (" + this.caller.textContent + ")";
    const handoff = conversation.handoff;
    if (!handoff) return;
    const choices = (handoff.choices || []).map(c => c.option || c.input).filter(Boolean);
    this.ivr.textContent = choices.length ? "IVR: " + choices.join(" › ") : (handoff.reason || "");
    const continues = handoff.continues;
    if (continues) {
      const told = continues.handoff && (continues.handoff.summary || continues.handoff.reason);
      this.context.textContent = "Continues their " + continues.channel + " conversation" + (told ? ": " + told : "");
    } else if ((handoff.otherOpenConversations || []).length) {
      this.context.textContent = "Also open: " + handoff.otherOpenConversations.map(c => c.channel + " (" + c.status + ")").join(", ");
    } else if (handoff.summary) {
      this.context.textContent = handoff.summary;
    }
  }

  answer() { if (this.call) this.call.accept(); }

  /** Declined: Twilio ends the agent's leg and the Dial action puts the call back in its queue. */
  decline() { if (this.call) { this.call.reject(); this.ended("Declined: the call went back to the queue"); } }

  toggleMute() {
    if (!this.call) return;
    const muted = !this.call.isMuted();
    this.call.mute(muted);
    this.buttons.mute.textContent = muted ? "Unmute" : "Mute";
  }

  hangUp() { if (this.call) this.call.disconnect(); }

  sendKeys(keys) {
    const digits = String(keys || "").replace(/[^0-9*#w]/g, "");
    if (this.call && digits) this.call.sendDigits(digits);
  }

  /** "Call the customer": through the TwiML App; the service checks the number is a customer of this agent. */
  async dial(number) {
    if (!this.device || this.call || !number.trim()) return;
    const call = await this.device.connect({ params: { To: number.trim() } });
    this.call = call;
    this.caller.textContent = number.trim();
    this.callPanel.hidden = false;
    this.status("Calling");
    this.show("mute", "hangup", "keys");
    call.on("accept", () => this.status("On the call"));
    call.on("disconnect", () => this.ended("Call ended"));
  }

  ended(text) {
    if (!this.call) return;
    this.call = null;
    this.status(text);
    this.buttons.mute.textContent = "Mute";
    this.show(this.conversationId && !text.startsWith("Declined") && !text.startsWith("The caller") ? "resolve" : "");
  }

  /** Wrap-up ends with resolve: the time from hang-up to here is the call's wrap-up time. */
  async resolve() {
    if (!this.conversationId) return;
    try {
      await cc.api("/api/conversations/" + this.conversationId + "/resolve", { method: "POST" });
      this.status("Resolved");
      this.callPanel.hidden = true;
      this.conversationId = null;
      this.show();
    } catch (e) {
      this.status("Could not resolve: " + e.message);
    }
  }
};

document.addEventListener("DOMContentLoaded", () => {
  for (const root of document.querySelectorAll("[data-softphone]")) {
    const phone = new ccVoice.Softphone(root);
    root.softphone = phone;
    phone.start();
  }
});
