using System.Collections.Concurrent;
using System.Threading.Channels;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// Fans PostgreSQL <c>cc_live</c> notifications (queued, assigned, warnings, breaches, agent status) out to
/// the supervisor pages connected to this instance, and the desk's <c>cc_desk</c> notifications to the desks. Every instance listens, so a change made anywhere
/// reaches every page, whichever instance serves it.
/// </summary>
public sealed partial class LiveFeed(NpgsqlDataSource db, ILogger<LiveFeed> log) : BackgroundService
{
    /// <summary>Sent to subscribers after the listener reconnects: changes may have been missed, reload.</summary>
    public const string Resync = """{"type":"resync"}""";

    private readonly ConcurrentDictionary<Guid, (Channel<string> Changes, bool Desk)> _subscribers = new();

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

    private void Publish(string payload, bool fromDesk = false)
    {
        foreach (var (changes, desk) in _subscribers.Values)
            if (desk || !fromDesk) changes.Writer.TryWrite(payload);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectedBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Publish(e.Payload, e.Channel == DeskSignals.Channel);
                await connection.Sql($"listen {RoutingSignals.LiveChannel}; listen {DeskSignals.Channel}").ExecuteNonQueryAsync(stoppingToken);
                if (connectedBefore) Publish(Resync);
                connectedBefore = true;
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogListenFailed(e);
                try { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live feed lost its PostgreSQL listener; reconnecting")]
    private partial void LogListenFailed(Exception e);
}
