// /admin/webhooks: the replay buttons. The page itself is rendered on the server; this only calls
// POST /api/webhooks/deliveries/{id}/replay and shows the answer as text.
"use strict";
(() => {
  const state = document.getElementById("state");
  document.addEventListener("click", async event => {
    const button = event.target.closest("button.replay");
    if (!button) return;
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
  });
})();
