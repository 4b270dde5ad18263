// /admin/webhooks: the replay and enable buttons. The page itself is rendered on the server; this only calls
// POST /api/webhooks/deliveries/{id}/replay and POST /api/webhooks/subscriptions/{id}/enable and shows the answer as text.
"use strict";
(() => {
  const state = document.getElementById("state");

  async function replay(button) {
    const row = button.closest("tr");
    const status = row.querySelector(".status");
    button.disabled = true;
    try {
      const delivery = await cc.api(`/api/webhooks/deliveries/${encodeURIComponent(button.dataset.delivery)}/replay`, { method: "POST" });
      status.textContent = delivery.status;
      status.className = "status warn";
      state.textContent = `${delivery.webhookId} queued again`;
    } catch (e) {
      state.textContent = `Replay refused: ${e.message}`;
      state.className = "error";
    } finally {
      button.disabled = false;
    }
  }

  async function enable(button) {
    const section = button.closest("section.subscription");
    button.disabled = true;
    try {
      await cc.api(`/api/webhooks/subscriptions/${encodeURIComponent(button.dataset.subscription)}/enable`, { method: "POST" });
      const shown = section.querySelector(".state");
      shown.textContent = "active";
      shown.className = "ok state";
      button.remove();
      // Its deliveries can be replayed again.
      for (const r of section.querySelectorAll("button.replay")) r.disabled = false;
      state.textContent = "Subscription enabled again";
      state.className = "muted";
    } catch (e) {
      button.disabled = false;
      state.textContent = `Enable refused: ${e.message}`;
      state.className = "error";
    }
  }

  document.addEventListener("click", event => {
    const button = event.target.closest("button.replay, button.enable");
    if (!button) return;
    if (button.classList.contains("replay")) replay(button); else enable(button);
  });
})();
