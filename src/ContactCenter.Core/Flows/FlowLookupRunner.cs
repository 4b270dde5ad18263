using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContactCenter.Core.Flows;

/// <summary>
/// Makes a flow's HTTP lookups. A lookup names a configured endpoint (<c>Flows:Endpoints:&lt;name&gt;</c>: base URL,
/// headers such as an API key) and a path, or an absolute URL. Whatever happens comes back as a
/// <see cref="FlowInput.LookupResult"/>: the status and body, or "timeout" / "unreachable" / "not configured",
/// which sends the flow down its error branch. Logs name the node and endpoint, never the URL or body.
/// </summary>
public sealed partial class FlowLookupRunner(
    IHttpClientFactory http, IOptionsMonitor<FlowOptions> options, ILogger<FlowLookupRunner> log) : IFlowActionResolver
{
    public const string HttpClientName = "flows.lookup";

    public bool CanResolve(FlowAction action) => action is LookupAction;

    public async Task<FlowInput> ResolveAsync(FlowAction action, CancellationToken ct) => await RunAsync((LookupAction)action, ct);

    public async Task<FlowInput.LookupResult> RunAsync(LookupAction lookup, CancellationToken ct)
    {
        Uri url;
        IReadOnlyDictionary<string, string> configuredHeaders = new Dictionary<string, string>();
        if (lookup.Endpoint is { } name)
        {
            if (!options.CurrentValue.Endpoints.TryGetValue(name, out var endpoint) ||
                !Uri.TryCreate(endpoint.BaseUrl, UriKind.Absolute, out var baseUrl))
            {
                LogNotConfigured(lookup.Node, name);
                return new FlowInput.LookupResult(0, null, "not configured");
            }

            url = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + lookup.Url);
            configuredHeaders = endpoint.Headers;
        }
        else if (!Uri.TryCreate(lookup.Url, UriKind.Absolute, out url!))
        {
            return new FlowInput.LookupResult(0, null, "invalid url");
        }

        using var request = new HttpRequestMessage(new HttpMethod(lookup.Method), url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var (header, value) in configuredHeaders.Concat(lookup.Headers)) request.Headers.TryAddWithoutValidation(header, value);
        if (lookup.Body is not null) request.Content = new StringContent(lookup.Body, Encoding.UTF8, "application/json");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(lookup.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            LogDone(lookup.Node, lookup.Endpoint ?? "-", (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new FlowInput.LookupResult((int)response.StatusCode, body, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogFailed(lookup.Node, lookup.Endpoint ?? "-", "timeout");
            return new FlowInput.LookupResult(0, null, "timeout");
        }
        catch (HttpRequestException e)
        {
            // The body was too large, the host is down, TLS failed: the flow takes its error branch either way.
            LogFailed(lookup.Node, lookup.Endpoint ?? "-", e.HttpRequestError.ToString());
            return new FlowInput.LookupResult(0, null, "unreachable");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow lookup at node {Node}: endpoint {Endpoint} is not configured (set Flows:Endpoints:<name>:BaseUrl)")]
    private partial void LogNotConfigured(string node, string endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Flow lookup at node {Node} ({Endpoint}) answered {Status} in {Milliseconds} ms")]
    private partial void LogDone(string node, string endpoint, int status, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flow lookup at node {Node} ({Endpoint}) failed: {Reason}")]
    private partial void LogFailed(string node, string endpoint, string reason);
}
