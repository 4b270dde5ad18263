using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Twilio;

/// <summary>One REST call in flight: its cancellation and timeout in, Twilio's status and Retry-After out.</summary>
internal sealed class TwilioExchange(CancellationToken cancellation, TimeSpan timeout)
{
    public CancellationToken Cancellation { get; } = cancellation;
    public TimeSpan Timeout { get; } = timeout;
    public int Status { get; set; }
    public TimeSpan? RetryAfter { get; set; }
    /// <summary>The call's own limit ran out (not the caller's cancellation).</summary>
    public bool TimedOut { get; set; }
}

/// <summary>
/// The SDK's requests go to <c>https://api.twilio.com</c> and its methods take no cancellation token. This handler,
/// under the SDK's HttpClient, sends them to <c>Twilio:ApiBaseUrl</c> (the WireMock fakes in tests), applies the
/// timeout and the caller's token of the call in flight (an AsyncLocal set by <see cref="TwilioRestClient"/>), and
/// keeps Twilio's status and <c>Retry-After</c> for the retry decision.
/// </summary>
internal sealed class TwilioApiHandler(IOptionsMonitor<TwilioOptions> options) : DelegatingHandler
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);
    private static readonly AsyncLocal<TwilioExchange?> Current = new();

    public static TwilioExchange Begin(CancellationToken cancellation, TimeSpan timeout) =>
        Current.Value = new TwilioExchange(cancellation, timeout);

    public static void End() => Current.Value = null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var exchange = Current.Value;
        if (request.RequestUri is { } uri)
            request.RequestUri = new Uri(options.CurrentValue.ApiBaseUrl.TrimEnd('/') + uri.PathAndQuery);
        if (exchange is null) return await base.SendAsync(request, cancellationToken);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, exchange.Cancellation);
        limit.CancelAfter(exchange.Timeout);
        HttpResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, limit.Token);
            // The body too, within the limit: the SDK reads it afterwards without a token.
            await response.Content.LoadIntoBufferAsync(limit.Token);
            exchange.Status = (int)response.StatusCode;
            exchange.RetryAfter = RetryAfter(response);
            return response;
        }
        catch (OperationCanceledException) when (!exchange.Cancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            exchange.TimedOut = true;
            throw;
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is not { } d || d <= TimeSpan.Zero) return null;
        return d > MaxRetryAfter ? MaxRetryAfter : d;
    }
}
