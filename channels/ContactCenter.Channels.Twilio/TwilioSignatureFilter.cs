using System.Text;
using ContactCenter.Core.Inbound;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace ContactCenter.Channels.Twilio;

/// <summary>
/// Guards the whole <c>/webhooks/twilio</c> group: reads the body (bounded), checks <c>X-Twilio-Signature</c>
/// over the public URL and every parameter received, and only then lets the handler run. Handlers read the
/// parameters from <see cref="HttpRequest.Form"/> (set here), never through form binding, which would read the
/// body before this filter runs.
/// </summary>
internal sealed partial class TwilioSignatureFilter(IOptionsMonitor<TwilioOptions> options, ILogger<TwilioSignatureFilter> log) : IEndpointFilter
{
    /// <summary>Twilio's largest posts (a 1600-character body, ten media URLs, geography) are a few kB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var settings = options.CurrentValue;
        if (string.IsNullOrWhiteSpace(settings.AuthToken))
        {
            LogNotConfigured(request.Path);
            return Problem(403, "Forbidden", "Twilio webhooks are not accepted: Twilio:AuthToken is not configured.");
        }

        if (request.ContentLength > MaxBodyBytes || await ReadBodyAsync(request, http.RequestAborted) is not { } body)
            return Problem(400, "Bad request", $"The request body is larger than {MaxBodyBytes / 1024} kB.");

        var url = SignedUrl(request, settings);
        var signature = request.Headers[TwilioSignature.Header].ToString();
        var validator = new TwilioSignature(settings.AuthToken);
        bool valid;
        if (request.Query.ContainsKey(TwilioSignature.BodyHashParameter))
        {
            valid = validator.IsValidWithBody(url, body, signature);
        }
        else if (body.Length == 0 || request.HasFormContentType)
        {
            // A 1600-character body of emoji is ~19 kB percent-encoded: the reader's 2 kB default would refuse it.
            Dictionary<string, StringValues> form;
            try
            {
                form = new FormReader(Encoding.UTF8.GetString(body)) { ValueLengthLimit = MaxBodyBytes }.ReadForm();
            }
            catch (InvalidDataException e)
            {
                return Problem(400, "Bad request", $"The form is malformed: {e.Message}");
            }

            valid = validator.IsValid(url, form, signature);
            // Signed as sent; stored without NULs (PostgreSQL refuses them, and every retry would fail the same way).
            if (valid) request.Form = new FormCollection(form.ToDictionary(
                p => ProviderText.StripNul(p.Key)!, p => new StringValues([.. p.Value.Select(ProviderText.StripNul)])));
        }
        else
        {
            return Problem(400, "Bad request", "Twilio webhooks are form posts (application/x-www-form-urlencoded).");
        }

        if (!valid)
        {
            LogRejected(request.Path, signature.Length > 0);
            return Problem(403, "Forbidden", "The X-Twilio-Signature header is missing or does not match the request.");
        }

        request.Body = new MemoryStream(body, writable: false);
        return await next(context);
    }

    /// <summary>
    /// The URL Twilio signed: the configured public base (so a proxy, or a client choosing its own Host header,
    /// changes nothing) plus the path and the raw query; the request's own scheme and host only when unset.
    /// </summary>
    internal static string SignedUrl(HttpRequest request, TwilioOptions settings)
    {
        var pathAndQuery = request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.Value;
        return settings.PublicBase is { } publicBase
            ? publicBase + pathAndQuery
            : $"{request.Scheme}://{request.Host.ToUriComponent()}{pathAndQuery}";
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a Twilio webhook to {Path}: signature {Kind}")]
    private partial void LogRejectedCore(string path, string kind);

    private void LogRejected(PathString path, bool present) => LogRejectedCore(path.Value ?? "", present ? "does not match" : "missing");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a Twilio webhook to {Path}: Twilio:AuthToken is not configured")]
    private partial void LogNotConfigured(string path);
}
