using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using ContactCenter.Server.Hosting;

namespace ContactCenter.Server.Pages;

/// <summary>
/// The supervisor's live view: <c>/supervisor</c> (a page, cookie login at /login) and <c>/api/live</c>, a
/// server-sent event stream: a snapshot of queues and agents first, then every change as it is committed
/// (from PostgreSQL LISTEN/NOTIFY, so any instance serves the same stream).
/// </summary>
public static class SupervisorPage
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapSupervisorPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/supervisor", () => Results.Content(Html, "text/html; charset=utf-8"))
            .RequireAuthorization(Policies.Supervisor).ExcludeFromDescription();
        app.MapGet("/api/live", (LiveFeed feed, QueueMonitor monitor, AgentStore agents, CancellationToken ct) =>
                TypedResults.ServerSentEvents(StreamAsync(feed, monitor, agents, ct)))
            .RequireAuthorization(Policies.Supervisor).WithTags("Queues")
            .WithSummary("Server-sent events: 'snapshot' (queues and agents), then 'change' for every routing and response-target change, 'ping' when quiet");
        return app;
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        LiveFeed feed, QueueMonitor monitor, AgentStore agents, [EnumeratorCancellation] CancellationToken ct)
    {
        // Subscribe before the snapshot so nothing that happens in between is missed.
        var (id, changes) = feed.Subscribe();
        try
        {
            var snapshot = new { queues = await monitor.SnapshotAsync(null, QueuesPageLimit, ct), agents = await agents.ListAsync(ct) };
            yield return new SseItem<string>(JsonSerializer.Serialize(snapshot, JsonSerializerOptions.Web), "snapshot");
            while (!ct.IsCancellationRequested)
            {
                var change = await NextAsync(changes, ct);
                yield return change is null ? new SseItem<string>("{}", "ping") : new SseItem<string>(change, "change");
            }
        }
        finally
        {
            feed.Unsubscribe(id);
        }
    }

    private const int QueuesPageLimit = 20;

    /// <summary>The next change, or null after a quiet <see cref="Heartbeat"/> (proxies close silent streams).</summary>
    private static async Task<string?> NextAsync(ChannelReader<string> changes, CancellationToken ct)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(Heartbeat);
        try
        {
            return await changes.ReadAsync(quiet.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private const string Html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: queues</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
        table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
        .late{color:#b00020;font-weight:600}.warn{color:#b26a00}.muted{color:#777}#log{font-size:.8rem;max-height:12rem;overflow:auto}
        #state{float:right;font-size:.8rem}
        </style></head><body>
        <span id="state" class="muted">connecting…</span><h1>Queues, agents and response targets</h1>
        <h2>Queues</h2><table><thead><tr><th>Queue</th><th>Open</th><th>Waiting</th><th>Oldest wait</th><th>Next due</th>
        <th>Agents available / busy / away / offline</th><th>Within target today</th><th>Breach alerts</th></tr></thead><tbody id="queues"></tbody></table>
        <h2>Waiting conversations</h2><table><thead><tr><th>Queue</th><th>Conversation</th><th>Channel</th><th>Priority</th><th>Waiting</th>
        <th>Target</th><th>Time left</th></tr></thead><tbody id="waiting"></tbody></table>
        <h2>Agents</h2><table><thead><tr><th>Agent</th><th>Status</th><th>Load</th><th>Skills</th></tr></thead><tbody id="agents"></tbody></table>
        <h2>Changes</h2><div id="log" class="muted"></div>
        <script>
        let queues = [], agents = [], loadedAt = Date.now(), reload = null;
        const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
        const secs = s => s == null ? "" : (s < 0 ? "-" : "") + (Math.abs(s) >= 60 ? Math.floor(Math.abs(s) / 60) + "m " : "") + Math.floor(Math.abs(s) % 60) + "s";
        function render() {
          const gone = (Date.now() - loadedAt) / 1000;
          document.getElementById("queues").innerHTML = queues.map(q => {
            const next = q.conversations.map(c => c.target && c.target.remainingSeconds).filter(x => x != null);
            const left = next.length ? Math.min(...next) - (q.open ? gone : 0) : null;
            const share = q.today.withinTargetShare == null ? "–" : Math.round(q.today.withinTargetShare * 100) + " %";
            return `<tr><td>${esc(q.name)}</td><td>${q.open ? "yes" : "closed"}</td><td>${q.waiting}</td>
              <td>${secs(q.oldestWaitSeconds == null ? null : q.oldestWaitSeconds + gone)}</td><td class="${left < 0 ? "late" : ""}">${secs(left)}</td>
              <td>${q.agents.available} / ${q.agents.busy} / ${q.agents.away} / ${q.agents.offline}</td><td>${share}</td>
              <td class="${q.alerts.length ? "late" : ""}">${q.alerts.length}</td></tr>`; }).join("");
          document.getElementById("waiting").innerHTML = queues.flatMap(q => q.conversations.map(c => {
            const left = c.target && c.target.remainingSeconds != null ? c.target.remainingSeconds - (c.target.paused ? 0 : gone) : null;
            const cls = left != null && left < 0 ? "late" : c.target && c.target.warned ? "warn" : "";
            return `<tr><td>${esc(q.name)}</td><td>${esc(c.conversationId)}</td><td>${esc(c.channel)}</td><td>${c.priority}</td>
              <td>${secs(c.waitSeconds + gone)}</td><td>${esc(c.target && c.target.kind)}</td>
              <td class="${cls}">${c.target && c.target.paused ? "paused, " : ""}${secs(left)}</td></tr>`; })).join("");
          document.getElementById("agents").innerHTML = agents.map(a => `<tr><td>${esc(a.name)} <span class="muted">${esc(a.id)}</span></td>
            <td>${esc(a.status)}</td><td>${Object.keys(a.capacity).map(b => `${b} ${a.load[b] ?? 0}/${a.capacity[b]}`).join(", ")}</td>
            <td>${Object.entries(a.skills).map(([k, v]) => `${esc(k)} ${v}`).join(", ")}</td></tr>`).join("");
        }
        async function load() {
          const [q, a] = await Promise.all([fetch("/api/queues?limit=20"), fetch("/api/agents")]);
          if (q.ok && a.ok) { queues = await q.json(); agents = await a.json(); loadedAt = Date.now(); render(); }
        }
        const source = new EventSource("/api/live");
        source.addEventListener("snapshot", e => { const s = JSON.parse(e.data); queues = s.queues; agents = s.agents; loadedAt = Date.now(); render(); });
        source.addEventListener("change", e => {
          const c = JSON.parse(e.data), log = document.getElementById("log");
          log.insertAdjacentHTML("afterbegin", `<div class="${c.type === "sla.breached" ? "late" : ""}">${new Date().toLocaleTimeString()} ${esc(c.type)} ${esc(c.queue)} ${esc(c.conversationId || c.agentId)}</div>`);
          clearTimeout(reload); reload = setTimeout(load, 250);
        });
        source.onopen = () => document.getElementById("state").textContent = "live";
        source.onerror = () => document.getElementById("state").textContent = "reconnecting…";
        setInterval(render, 1000);
        </script></body></html>
        """;
}
