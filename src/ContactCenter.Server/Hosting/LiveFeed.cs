using System.Collections.Concurrent;
using System.Threading.Channels;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// Fans PostgreSQL <c>cc_live</c> notifications (queued, assigned, warnings, breaches, agent status) out to
/// the supervisor pages connected to this instance, and the desk's <c>cc_desk</c> notifications to the desks,
/// heard through the instance's one <see cref="PostgresListener"/>. Every instance listens, so a change made
/// anywhere reaches every page, whichever instance serves it.
/// </summary>
public sealed class LiveFeed : IHostedService, IDisposable
{
    /// <summary>Sent to subscribers after the listener reconnects: changes may have been missed, reload.</summary>
    public const string Resync = """{"type":"resync"}""";

    private readonly ConcurrentDictionary<Guid, (Channel<string> Changes, bool Desk)> _subscribers = new();
    private readonly IDisposable _live;
    private readonly IDisposable _desk;

    public LiveFeed(PostgresListener listener)
    {
        _live = listener.Subscribe(RoutingSignals.LiveChannel, payload => Publish(payload), () => Publish(Resync));
        _desk = listener.Subscribe(DeskSignals.Channel, payload => Publish(payload, fromDesk: true));
    }

    /// <param name="desk">Also the desk's feed (<c>cc_desk</c>: timeline events, presence, typing), not only <c>cc_live</c>.</param>
    public (Guid Id, ChannelReader<string> Changes) Subscribe(bool desk = false)
    {
        // A slow page loses the oldest changes, never blocks the listener; it reloads the snapshot anyway.
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        var id = Guid.NewGuid();
        _subscribers[id] = (channel, desk);
        return (id, channel.Reader);
    }

    public int Subscribers => _subscribers.Count;

    public void Unsubscribe(Guid id)
    {
        if (_subscribers.TryRemove(id, out var subscriber)) subscriber.Changes.Writer.TryComplete();
    }

    public void Dispose()
    {
        _live.Dispose();
        _desk.Dispose();
    }

    // A hosted service only so that it subscribes at start-up, before the listener connects, not at the first page.
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private void Publish(string payload, bool fromDesk = false)
    {
        foreach (var (changes, desk) in _subscribers.Values)
            if (desk || !fromDesk) changes.Writer.TryWrite(payload);
    }
}
