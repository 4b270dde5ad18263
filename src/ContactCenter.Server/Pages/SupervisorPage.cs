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
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: live console</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/assets/site.css"><link rel="stylesheet" href="/assets/supervisor.css"></head><body>
        <header class="bar"><h1>Live console</h1><nav><a href="/reports">Reports</a></nav><span id="state" class="muted">connecting…</span></header>
        <main>
        <section id="alerts" aria-live="assertive" aria-label="breach alerts"></section><section id="acked" class="muted" aria-label="acknowledged breaches"></section>
        <aside id="timeline" hidden aria-label="conversation timeline"><header><strong id="timeline-title"></strong> <span class="muted">(read-only)</span>
        <button type="button" id="timeline-close">Close</button></header><ol id="timeline-events"></ol></aside>
        <h2>Queues</h2><table><thead><tr><th>Queue</th><th>Open</th><th>Waiting</th><th>Oldest wait</th><th>Next due</th>
        <th>Agents available / busy / away / offline</th><th>Within target today</th><th>Breaches today</th><th>Abandoned calls today</th>
        <th>Forecast: expected wait</th><th>Agents needed / available</th></tr></thead><tbody id="queues"></tbody></table>
        <h2>Waiting conversations</h2><table><thead><tr><th>Queue</th><th>Conversation</th><th>Channel</th><th>Priority</th><th>Waiting</th>
        <th>Target</th><th>Time left</th><th></th></tr></thead><tbody id="waiting"></tbody></table>
        <h2>Agents</h2><table><thead><tr><th>Agent</th><th>Status</th><th>In status</th><th>Load</th><th>Handled today</th><th>Average handle time</th><th>Skills</th><th></th></tr></thead><tbody id="agents"></tbody></table>
        <h2>Changes</h2><div id="log" class="muted"></div>
        <script src="/assets/common.js"></script><script src="/assets/supervisor.js"></script></main></body></html>
        """;
}
