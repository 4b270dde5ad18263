using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Meta;

/// <summary>
/// <c>GET /webhooks/meta</c> answers the subscription check; <c>POST /webhooks/meta</c> checks the signature
/// over the raw body, reads the whole batch, then stores its events in order (200 once all are committed).
/// </summary>
internal sealed partial class MetaWebhook(
    Inbox inbox,
    OutboxDispatcher dispatcher,
    TimeProvider clock,
    IOptions<MetaOptions> options,
    ILogger<MetaWebhook> log)
{
    public const string SignatureHeader = "X-Hub-Signature-256";

    public Results<ContentHttpResult, ProblemHttpResult> Verify(HttpRequest request)
    {
        var query = request.Query;
        if (query["hub.mode"].ToString() == "subscribe"
            && Matches(query["hub.verify_token"].ToString(), options.Value.VerifyToken)
            && query["hub.challenge"].ToString() is { Length: > 0 } challenge)
            return TypedResults.Text(challenge, "text/plain");
        LogVerificationRefused();
        return TypedResults.Problem("The verify token is missing or wrong.", statusCode: 403, title: "Forbidden");
    }

    public async Task<Results<Ok, ProblemHttpResult>> ReceiveAsync(HttpRequest request, CancellationToken ct)
    {
        // The signature covers the bytes as sent: read them all before any parsing, and parse those same bytes.
        var body = await ReadBodyAsync(request, options.Value.MaxWebhookBytes, ct);
        if (body is null) return TypedResults.Problem("The body is too large.", statusCode: 413, title: "Payload too large");
        if (!SignatureMatches(request.Headers[SignatureHeader].ToString(), body, options.Value.AppSecret))
        {
            LogSignatureRefused();
            return TypedResults.Problem("The X-Hub-Signature-256 signature is missing or wrong.", statusCode: 403, title: "Forbidden");
        }

        IReadOnlyList<MetaAction> actions;
        try
        {
            // Signed as sent; parsed without NULs, which PostgreSQL cannot store (the rest of the message is kept).
            var notification = JsonSerializer.Deserialize<MetaNotification>(ProviderText.StripNulEscapes(body), MetaNotification.Json)
                               ?? throw new MalformedNotificationException("The body is JSON null.");
            actions = MetaEvents.Plan(notification, clock.GetUtcNow());
        }
        catch (Exception e) when (e is JsonException or MalformedNotificationException)
        {
            return TypedResults.Problem($"The body is not a Meta notification: {e.Message}", statusCode: 400, title: "Bad request");
        }

        foreach (var action in actions)
        {
            switch (action)
            {
                case MetaAction.Store store:
                    await inbox.ReceiveAsync(store.Event, ct);
                    break;
                case MetaAction.Delivered delivered:
                    foreach (var mid in delivered.Mids)
                        await dispatcher.RecordStatusByProviderIdAsync(delivered.Channel, mid, DeliveryStatus.Delivered, null, null, ct);
                    break;
                case MetaAction.Skip skip:
                    LogSkipped(skip.Reason);
                    break;
            }
        }

        return TypedResults.Ok();
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of the raw body under the app secret, compared in constant time.</summary>
    internal static bool SignatureMatches(string? header, byte[] body, string? appSecret)
    {
        const string prefix = "sha256=";
        if (string.IsNullOrEmpty(appSecret) || header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(header.AsSpan(prefix.Length).Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>Constant time whatever the lengths: both sides are hashed first.</summary>
    private static bool Matches(string? given, string? expected) =>
        !string.IsNullOrEmpty(given) && !string.IsNullOrEmpty(expected)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meta webhook refused: X-Hub-Signature-256 missing or wrong")]
    private partial void LogSignatureRefused();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meta subscription check refused: wrong mode or verify token")]
    private partial void LogVerificationRefused();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Meta webhook event skipped: {Reason}")]
    private partial void LogSkipped(string reason);
}
