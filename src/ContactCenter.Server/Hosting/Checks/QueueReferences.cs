using ContactCenter.Core.Bot;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Routing;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Hosting.Checks;

/// <summary>
/// After the configured queues are seeded: every queue a flow, a channel, a bot timeout or another queue's
/// overflow names should exist. A missing one is created empty (no skills, always open) the first time a
/// conversation enters it, which is rarely what was meant: a warning, or with <c>Routing:StrictQueues</c> a refusal.
/// </summary>
internal sealed partial class QueueReferences(
    QueueStore queues, FlowCatalog flows, IOptions<RoutingOptions> routing, IOptions<BotOptions> bot, ILogger<QueueReferences> log) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var existing = (await queues.ListAsync(ct)).Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var missing = References(existing).Where(r => !existing.Contains(r.Queue)).ToList();
        if (missing.Count == 0) return;
        if (routing.Value.StrictQueues)
            throw new InvalidOperationException("Routing:StrictQueues is on and these queues do not exist (add them under Routing:Queues:<name> or through the admin API): "
                + string.Join("; ", missing.Select(m => $"'{m.Queue}' named by {m.Where}")));
        foreach (var (queue, where) in missing) LogMissing(queue, where);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private IEnumerable<(string Queue, string Where)> References(HashSet<string> existing)
    {
        foreach (var flow in flows.Flows.Values)
        {
            foreach (var node in flow.Nodes.Values)
            {
                var queue = node switch
                {
                    EnqueueNode n => n.Queue,
                    HandoffNode n => n.Queue,
                    CallbackNode n => n.Queue,
                    VoicemailNode n => n.Queue,
                    _ => null,
                };
                // A queue chosen at run time ("{route.queue}") cannot be checked here.
                if (queue is not null && !queue.Variables.Any())
                    yield return (queue.Render(FlowValues.None), $"flow '{flow.Name}' ({flow.File}:{node.Line}, node '{node.Id}')");
            }
        }

        foreach (var (channel, settings) in routing.Value.Channels)
        {
            if (!string.IsNullOrWhiteSpace(settings.Queue)) yield return (settings.Queue, $"Routing:Channels:{channel}:Queue");
        }

        foreach (var queue in bot.Value.QueueTimeouts.Keys) yield return (queue, $"Bot:QueueTimeouts:{queue}");
        foreach (var (name, definition) in routing.Value.Queues.Where(q => existing.Contains(q.Key)))
        {
            foreach (var step in definition.Steps.Where(s => s.OverflowTo is not null))
                yield return (step.OverflowTo!, $"Routing:Queues:{name}:Steps (overflow)");
            if (definition.Escalation?.OverflowTo is { } to) yield return (to, $"Routing:Queues:{name}:Escalation:OverflowTo");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue '{Queue}' is named by {Where} but does not exist: it is created empty (no skills, always open) when first used. Add it under Routing:Queues, or set Routing:StrictQueues to refuse to start")]
    private partial void LogMissing(string queue, string where);
}
