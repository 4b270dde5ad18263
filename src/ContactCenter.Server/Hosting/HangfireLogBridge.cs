using HangfireLog = Hangfire.Logging;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// Hangfire logs through one process-wide static provider. Its ASP.NET Core provider keeps the logger factory
/// of whichever host configured Hangfire last; once that host is disposed, every other host's workers throw
/// ObjectDisposedException while fetching jobs and stop processing (seen in the tests, which run several
/// hosts in one process). This bridge forwards to a host that is still alive instead; each host attaches
/// its factory for its lifetime. With one host per process it is simply that host's logging.
/// </summary>
internal sealed class HangfireLogBridge : HangfireLog.ILogProvider
{
    public static HangfireLogBridge Instance { get; } = new();
    private readonly Lock _gate = new();
    private ILoggerFactory[] _factories = [];

    public IDisposable Attach(ILoggerFactory factory)
    {
        lock (_gate) _factories = [.. _factories, factory];
        return new Attachment(this, factory);
    }

    public HangfireLog.ILog GetLogger(string name) => new BridgedLog(this, name);

    private sealed class Attachment(HangfireLogBridge bridge, ILoggerFactory factory) : IDisposable
    {
        public void Dispose()
        {
            lock (bridge._gate) bridge._factories = bridge._factories.Where(f => f != factory).ToArray();
        }
    }

    private sealed class BridgedLog(HangfireLogBridge bridge, string name) : HangfireLog.ILog
    {
        public bool Log(HangfireLog.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var factories = bridge._factories;
            if (factories.Length == 0) return false;
            var level = logLevel switch
            {
                HangfireLog.LogLevel.Trace => LogLevel.Trace,
                HangfireLog.LogLevel.Debug => LogLevel.Debug,
                HangfireLog.LogLevel.Info => LogLevel.Information,
                HangfireLog.LogLevel.Warn => LogLevel.Warning,
                HangfireLog.LogLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            try
            {
                var logger = factories[^1].CreateLogger(name);
                if (!logger.IsEnabled(level)) return false;
                if (messageFunc is null) return true; // Hangfire asks "is this level on?" this way
                logger.Log(level, default, messageFunc(), exception, static (message, _) => message);
                return true;
            }
            catch (ObjectDisposedException)
            {
                // The host detached between our read and the call; the next message uses a live one.
                return false;
            }
        }
    }
}
