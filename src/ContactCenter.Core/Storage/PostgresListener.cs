using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Storage;

/// <summary>
/// The one <c>LISTEN</c> connection of an instance: the work pipeline, routing, the live feed, notifications and
/// webhook deliveries subscribe to their channels here instead of each holding a connection. Callbacks run on
/// the notification thread and must only signal (write to a channel, release a semaphore). After a reconnect every subscriber's
/// <c>reconnected</c> callback runs: notifications may have been missed while no connection listened. A callback
/// that throws is logged and the others still run: one subscriber's bug must not stop every instance-wide feed (an
/// exception out of the notification handler would end the listen loop, and with it the host).
/// </summary>
public sealed partial class PostgresListener(NpgsqlDataSource db, ILogger<PostgresListener> log) : BackgroundService
{
    private sealed record Subscription(string Channel, Action<string> Notified, Action? Reconnected);

    private readonly ConcurrentDictionary<Guid, Subscription> _subscriptions = new();
    private readonly SemaphoreSlim _channelsChanged = new(0);

    public IDisposable Subscribe(string channel, Action<string> notified, Action? reconnected = null)
    {
        var id = Guid.NewGuid();
        _subscriptions[id] = new Subscription(channel, notified, reconnected);
        _channelsChanged.Release();
        return new Unsubscriber(() => _subscriptions.TryRemove(id, out _));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    foreach (var s in _subscriptions.Values)
                        if (s.Channel == e.Channel) Run(s, () => s.Notified(e.Payload));
                };
                var listening = new HashSet<string>(StringComparer.Ordinal);
                try
                {
                    await ListenToNewChannelsAsync(connection, listening, stoppingToken);
                    foreach (var s in _subscriptions.Values)
                        if (s.Reconnected is { } reconnected) Run(s, reconnected);
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        // A bounded wait: between waits (one command at a time per connection) late subscribers get their LISTEN.
                        await connection.WaitAsync(1000, stoppingToken);
                        if (_channelsChanged.CurrentCount > 0)
                        {
                            while (_channelsChanged.CurrentCount > 0) await _channelsChanged.WaitAsync(stoppingToken);
                            await ListenToNewChannelsAsync(connection, listening, stoppingToken);
                        }
                    }
                }
                finally
                {
                    // Pooled connections are not reset when returned (DatabaseHosting): this one must not go back listening.
                    if (connection.State == System.Data.ConnectionState.Open && listening.Count > 0)
                        await connection.Sql("unlisten *").ExecuteNonQueryAsync(CancellationToken.None);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogListenFailed(e);
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private void Run(Subscription subscription, Action callback)
    {
        try
        {
            callback();
        }
        catch (Exception e)
        {
            LogSubscriberFailed(e, subscription.Channel);
        }
    }

    private async Task ListenToNewChannelsAsync(NpgsqlConnection connection, HashSet<string> listening, CancellationToken ct)
    {
        foreach (var channel in _subscriptions.Values.Select(s => s.Channel).Distinct().Where(c => !listening.Contains(c)).ToList())
        {
            await connection.Sql($"listen {channel}").ExecuteNonQueryAsync(ct);
            listening.Add(channel);
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The PostgreSQL listener lost its connection; reconnecting (polling covers the gap)")]
    private partial void LogListenFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber to {Channel} failed on a notification; the other subscribers still ran")]
    private partial void LogSubscriberFailed(Exception e, string channel);
}
