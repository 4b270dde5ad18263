// The agent's softphone: Twilio's Voice JavaScript SDK (twilio_voice.min.js, @twilio/voice-sdk 2.x) in a panel
// of its own. It registers while the agent is available, renews its token before it runs out, shows who calls
// and why (caller, IVR path, handoff context) before the agent answers, and offers answer, decline, mute,
// hang up, keys and "call the customer". Mount it on any element with data-softphone (the desk's panel).
// Plain script, no build step; all customer text is set as text (cc.el), never as HTML.
// It tells the page what the call does with a window event 'cc:call' (detail: { state: ringing | answered | declined |
// missed | ended, conversationId }): the desk opens the conversation of an answered call and keeps it open after.
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
    this.agentStatus = null;
    this.outcome = null;
    this.render();
  }

  render() {
    const { el } = cc;
    this.statusLine = el("p", { class: "softphone-status", "data-role": "status", role: "status" }, "Starting…");
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
    this.keys = el("input", { type: "text", inputmode: "tel", maxlength: "32", placeholder: "Keys", "aria-label": "Keys to send", "data-role": "keys", hidden: true,
      onkeydown: e => { if (e.key === "Enter") { this.sendKeys(this.keys.value); this.keys.value = ""; } } });
    this.number = el("input", { type: "tel", placeholder: "+1 415 555 0100", "aria-label": "Number to call", autocomplete: "off", "data-role": "number" });
    this.dialButton = el("button", { type: "button", "data-role": "dial", onclick: () => this.dial(this.number.value) }, "Call");
    this.dialBox = el("div", { class: "softphone-dial" }, this.number, this.dialButton);
    this.root.replaceChildren(el("div", { class: "softphone" },
      el("h2", {}, "Phone"), this.statusLine, this.callPanel,
      el("div", { class: "softphone-actions" }, ...Object.values(this.buttons), this.keys), this.dialBox));
  }

  status(text) { this.statusLine.textContent = text; }

  show(...roles) {
    for (const [role, button] of Object.entries(this.buttons)) button.hidden = !roles.includes(role);
    this.keys.hidden = !roles.includes("keys");
  }

  async start() {
    // On the desk: the open conversation's customer is the number "Call" dials (also one opened before the phone started).
    window.addEventListener("cc:conversation-open", e => this.opened(e.detail));
    if (window.desk && window.desk.conv) this.opened({ customerId: window.desk.conv.customerId });
    let answer;
    try {
      answer = await cc.api("/api/agents/me/voice-token");
    } catch (e) {
      this.status(e.status === 503 ? "The phone is off: " + e.message : "No phone: " + e.message);
      this.dialBox.hidden = true;
      return;
    }
    const device = ccVoice.createDevice(answer.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
    this.device = device;
    this.schedule(answer.expiresAt);
    device.on("registered", () => { this.outcome = null; this.status("Ready for calls"); });
    device.on("unregistered", () => { if (!this.call) this.status(this.idleText()); });
    device.on("error", e => this.status("Phone error: " + (e && e.message || e)));
    device.on("incoming", call => this.incoming(call));
    device.on("tokenWillExpire", () => this.refresh());
    this.status("Not taking calls");
    const session = await cc.session();
    // The agent's status as the service has it: read once here, then the page's cc:presence events (the desk sends
    // one whenever the service changes it, e.g. away after a declined or missed call, or after Desk:AwayAfter).
    document.addEventListener("cc:presence", e => this.presence(e.detail && e.detail.status));
    if (session.agentId && !this.agentStatus) {
      const me = await cc.api("/api/agents/" + encodeURIComponent(session.agentId)).catch(() => null);
      if (me && !this.agentStatus) this.presence(me.status);
    }
  }

  /** The desk opened a conversation: its customer's phone number is the one "Call" dials (the service checks it). */
  async opened(detail) {
    if (!detail || !detail.customerId || this.call) return;
    const customer = await cc.api("/api/customers/" + detail.customerId).catch(() => null);
    const phone = customer && (customer.identities || []).find(i => ["voice", "sms", "whatsapp"].includes(i.channel));
    if (phone) this.number.value = phone.address.replace(/^whatsapp:/, "");
  }

  /** Registered (rings) only while the agent is available. */
  presence(status) {
    if (!this.device || !status || status === this.agentStatus) return;
    const first = !this.agentStatus;
    this.agentStatus = status;
    const on = status === "available";
    if (on !== this.available) {
      this.available = on;
      if (on) this.device.register(); else this.device.unregister();
    } else if (!on && !this.call && !first) {
      this.status(this.idleText());
    }
  }

  /** Why the phone does not ring: the agent's status, after what happened to the last call (declined, missed). */
  idleText() {
    return (this.outcome ? this.outcome + ". " : "") + "Not taking calls" +
      (this.agentStatus && this.agentStatus !== "available" ? ": you are " + this.agentStatus : "");
  }

  tell(state) { window.dispatchEvent(new CustomEvent("cc:call", { detail: { state, conversationId: this.conversationId } })); }

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
    this.outcome = null;
    const params = call.customParameters || new Map();
    this.conversationId = params.get("conversationId") || null;
    this.caller.textContent = (call.parameters && call.parameters.From) || "unknown caller";
    this.ivr.textContent = "";
    this.context.textContent = "";
    this.callPanel.hidden = false;
    this.status(params.get("direction") === "callback" ? "Callback ringing" : "Ringing");
    this.show("answer", "decline");
    this.tell("ringing");
    call.on("accept", () => { this.status("On the call"); this.show("mute", "hangup", "keys"); this.tell("answered"); });
    call.on("cancel", () => this.ended("The caller hung up", "missed"));
    call.on("reject", () => this.ended("Declined: the call went back to the queue", "declined"));
    call.on("disconnect", () => this.ended("Call ended: wrap up and resolve", "ended"));
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

  /**
   * Declined: Twilio ends the agent's leg and the Dial action tells the service, which puts the call back in its
   * queue and sets the agent away, as for a missed ring; the desk hears of that and the phone unregisters.
   */
  decline() { if (this.call) { this.call.reject(); this.ended("Declined: the call went back to the queue", "declined"); } }

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
    call.on("disconnect", () => this.ended("Call ended", "ended"));
  }

  ended(text, state) {
    if (!this.call) return;
    this.call = null;
    this.status(text);
    this.buttons.mute.textContent = "Mute";
    this.show(this.conversationId && state === "ended" ? "resolve" : "");
    this.outcome = state === "ended" ? null : text;
    this.tell(state);
    if (state !== "ended") this.conversationId = null;
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
