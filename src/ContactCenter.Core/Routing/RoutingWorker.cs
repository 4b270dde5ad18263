using System.Threading.Channels;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>
/// Runs assignment in every instance: woken at once by <c>cc_routing</c> notifications (a conversation enters
/// a queue, an agent gets room, a customer message that held later conversations back is handled), heard through
/// the instance's one <see cref="PostgresListener"/>, and every <see cref="RoutingOptions.SweepInterval"/> anyway,
/// when it also runs queue steps whose job was lost and requeues conversations of agents who went offline.
/// </summary>
public sealed partial class RoutingWorker : BackgroundService
{
    // Notifications arriving while a pass runs collapse into one more pass.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly AssignmentPass _pass;
    private readonly RoutingEngine _engine;
    private readonly RoutingOptions _options;
    private readonly ILogger<RoutingWorker> _log;
    private readonly IDisposable _subscription;

    public RoutingWorker(AssignmentPass pass, RoutingEngine engine, PostgresListener listener, IOptions<RoutingOptions> options, ILogger<RoutingWorker> log)
    {
        _pass = pass;
        _engine = engine;
        _options = options.Value;
        _log = log;
        // After a reconnect: anything that happened while nobody listened.
        _subscription = listener.Subscribe(RoutingSignals.RoutingChannel, _ => Wake(), Wake);
    }

    public override void Dispose()
    {
        _subscription.Dispose();
        base.Dispose();
    }

    /// <summary>Asks for a pass soon (in-process callers; other instances hear the notification).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow >= nextSweep)
                {
                    nextSweep = DateTime.UtcNow + _options.SweepInterval;
                    await _engine.RunOverdueStepsAsync(TimeSpan.FromSeconds(2), stoppingToken);
                    await _engine.RequeueOfflineAgentsAsync(stoppingToken);
                }

                await _pass.RunAsync(stoppingToken);
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
    }

    private static async Task PauseAsync(CancellationToken ct)
    {
        try { await Task.Delay(TimeSpan.FromSeconds(1), ct); }
        catch (OperationCanceledException) { }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Assignment pass failed; retrying on the next notification or sweep")]
    private partial void LogPassFailed(Exception e);
}
