using System.Threading.Channels;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>
/// Runs assignment in every instance: woken at once by <c>cc_routing</c> notifications (a conversation enters
/// a queue, an agent gets room), and every <see cref="RoutingOptions.SweepInterval"/> anyway, when it also runs
/// queue steps whose job was lost and requeues conversations of agents who went offline.
/// </summary>
public sealed partial class RoutingWorker(
    NpgsqlDataSource db,
    AssignmentPass pass,
    RoutingEngine engine,
    IOptions<RoutingOptions> options,
    ILogger<RoutingWorker> log) : BackgroundService
{
    // Notifications arriving while a pass runs collapse into one more pass.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly RoutingOptions _options = options.Value;

    /// <summary>Asks for a pass soon (in-process callers; other instances hear the notification).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listening = ListenAsync(stoppingToken);
        var nextSweep = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow >= nextSweep)
                {
                    nextSweep = DateTime.UtcNow + _options.SweepInterval;
                    await engine.RunOverdueStepsAsync(TimeSpan.FromSeconds(2), stoppingToken);
                    await engine.RequeueOfflineAgentsAsync(stoppingToken);
                }

                await pass.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Logged, not hidden: the next notification or sweep runs the pass again.
                LogPassFailed(e);
                await PauseAsync(stoppingToken);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.SweepInterval);
            try
            {
                await _wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The sweep interval passed without a notification.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await listening;
    }

    private static async Task PauseAsync(CancellationToken ct)
    {
        try { await Task.Delay(TimeSpan.FromSeconds(1), ct); }
        catch (OperationCanceledException) { }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                connection.Notification += (_, _) => Wake();
                await connection.Sql($"listen {RoutingSignals.RoutingChannel}").ExecuteNonQueryAsync(ct);
                Wake(); // anything that happened while not listening
                while (!ct.IsCancellationRequested) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The sweep covers the gap; reconnect after a pause.
                LogListenFailed(e);
                await PauseAsync(ct);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Assignment pass failed; retrying on the next notification or sweep")]
    private partial void LogPassFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing listener lost its PostgreSQL connection")]
    private partial void LogListenFailed(Exception e);
}
