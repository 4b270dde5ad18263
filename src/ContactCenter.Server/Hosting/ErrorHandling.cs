using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ContactCenter.Core;
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
            BadHttpRequestException { InnerException: JsonException json } e => (e.StatusCode, "Bad request", $"{e.Message} {json.Message}"),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
            _ when BadInput(exception) is { } reason => (400, "Bad request", reason),
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

    /// <summary>
    /// "The input is bad", whichever layer noticed: the domain, a parser, a decoder, or PostgreSQL refusing a value
    /// (the transaction rolled back, so nothing is half-stored). Null when the exception is not about the input.
    /// </summary>
    private static string? BadInput(Exception exception) => exception switch
    {
        BadInputException e => e.Message,
        // A form post whose body cannot be read for its token (cut short, no boundary): the client's, on any page.
        Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException e => $"The form cannot be read: {e.Message}",
        JsonException e => $"The body is not valid JSON for this request: {e.Message}",
        DecoderFallbackException => "The body is not valid text in its charset.",
        InvalidDataException e => $"The body is malformed: {e.Message}", // form limits, compressed bodies
        // A multipart body that ends early or lies about its boundary (ReadFormAsync); other I/O errors stay 500.
        IOException { Source: "Microsoft.AspNetCore.WebUtilities" } e => $"The body is malformed: {e.Message}",
        FormatException e => $"A value has the wrong format: {e.Message}",
        PostgresException { SqlState: "22021" or "22P05" } => "A value contains a character that cannot be stored (such as U+0000).",
        PostgresException { SqlState: "22003" or "22008" or "22007" or "22P02" } => "A value is out of range or not of the expected kind.",
        PostgresException { SqlState: "54000" } => "A value is too large to be stored.",
        _ => null,
    };

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
