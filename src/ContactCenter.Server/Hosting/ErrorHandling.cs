using System.Net.Sockets;
using ContactCenter.Core.Customers;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// Turns exceptions into problem details: bad input is 400, an unreachable database is 503 (providers retry
/// webhooks on it, never on a 2xx), and anything else is 500 without internals.
/// </summary>
internal sealed partial class ErrorHandler(IProblemDetailsService problems, ILogger<ErrorHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var (status, title, detail) = exception switch
        {
            InvalidAddressException e => (400, "Invalid address", e.Message),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
            _ when IsStoreUnavailable(exception) => (503, "Service unavailable", "The database cannot be reached; try again shortly."),
            _ => (500, "Internal error", "The request failed; the error was logged."),
        };

        if (status == 503)
        {
            LogStoreUnavailable(exception, context.Request.Path);
            context.Response.Headers.RetryAfter = "5";
        }
        else if (status >= 500)
        {
            LogUnhandled(exception, context.Request.Method, context.Request.Path);
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    private static bool IsStoreUnavailable(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: SocketException or TimeoutException or IOException } => true,
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" } => true, // shutdown, too many connections
        TimeoutException => true,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Database unavailable while serving {Path}")]
    private partial void LogStoreUnavailable(Exception e, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private partial void LogUnhandled(Exception e, string method, string path);
}
