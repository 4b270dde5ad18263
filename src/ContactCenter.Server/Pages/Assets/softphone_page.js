// The stand-alone softphone page (/softphone) until the desk carries the panel: presence buttons that set the
// agent's status and tell the softphone (the desk sends the same cc:presence event).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-presence]")) {
    button.addEventListener("click", async () => {
      const status = button.dataset.presence;
      const session = await cc.session();
      await cc.api("/api/agents/" + encodeURIComponent(session.agentId) + "/status", { method: "POST", body: { status } });
      document.querySelector("[data-role=presence]").textContent = status;
      document.dispatchEvent(new CustomEvent("cc:presence", { detail: { status } }));
    });
  }
});
