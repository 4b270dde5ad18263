using System.Collections.Concurrent;
using System.Threading.Channels;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// Fans PostgreSQL <c>cc_live</c> notifications (queued, assigned, warnings, breaches, agent status) out to
/// the supervisor pages connected to this instance, heard through the instance's one <see cref="PostgresListener"/>.
/// Every instance listens, so a change made anywhere reaches every page, whichever instance serves it.
/// </summary>
public sealed class LiveFeed : IHostedService, IDisposable
{
    /// <summary>Sent to subscribers after the listener reconnects: changes may have been missed, reload.</summary>
    public const string Resync = """{"type":"resync"}""";

    private readonly ConcurrentDictionary<Guid, Channel<string>> _subscribers = new();
    private readonly IDisposable _subscription;

    public LiveFeed(PostgresListener listener) =>
        _subscription = listener.Subscribe(RoutingSignals.LiveChannel, Publish, () => Publish(Resync));

    public (Guid Id, ChannelReader<string> Changes) Subscribe()
    {
        // A slow page loses the oldest changes, never blocks the listener; it reloads the snapshot anyway.
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        var id = Guid.NewGuid();
        _subscribers[id] = channel;
        return (id, channel.Reader);
    }

    public void Unsubscribe(Guid id)
    {
        if (_subscribers.TryRemove(id, out var channel)) channel.Writer.TryComplete();
    }

    public void Dispose() => _subscription.Dispose();

    // A hosted service only so that it subscribes at start-up, before the listener connects, not at the first page.
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private void Publish(string payload)
    {
        foreach (var channel in _subscribers.Values) channel.Writer.TryWrite(payload);
    }
}
