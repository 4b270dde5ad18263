using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace ContactCenter.Tests.Channels;

/// <summary>One call the service made to a provider's API.</summary>
public sealed record ProviderCall(string Method, string Path, string Url, JsonNode? Body, DateTime At)
{
    public string? Query(string name)
    {
        var query = new Uri(Url).Query.TrimStart('?');
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (Uri.UnescapeDataString(parts[0]) == name) return parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        return null;
    }
}

/// <summary>
/// A provider's HTTP API served by WireMock.Net: every request is recorded; answers come from a per-path script
/// (queued by the test) or from the default answer, which may build its reply from the request.
/// </summary>
public sealed class ProviderFake : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body)>> _scripts = new();
    private readonly ConcurrentQueue<ProviderCall> _calls = new();
    private readonly Func<string, JsonNode?, (int Status, string Body)> _defaultAnswer;

    public ProviderFake(Func<string, JsonNode?, (int Status, string Body)> defaultAnswer)
    {
        _defaultAnswer = defaultAnswer;
        Server = WireMockServer.Start();
        Server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithCallback(Answer));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    /// <summary>The next call whose path ends with <paramref name="pathSuffix"/> gets this answer.</summary>
    public void Enqueue(string pathSuffix, int status, string body) =>
        _scripts.GetOrAdd(pathSuffix, _ => new ConcurrentQueue<(int, string)>()).Enqueue((status, body));

    public IReadOnlyList<ProviderCall> Calls(string pathSuffix) =>
        _calls.Where(c => c.Path.EndsWith(pathSuffix, StringComparison.Ordinal)).OrderBy(c => c.At).ToList();

    public void Reset()
    {
        _scripts.Clear();
        _calls.Clear();
    }

    private ResponseMessage Answer(IRequestMessage request)
    {
        JsonNode? body = null;
        try
        {
            body = string.IsNullOrEmpty(request.Body) ? null : JsonNode.Parse(request.Body);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        _calls.Enqueue(new ProviderCall(request.Method, request.Path, request.Url, body, DateTime.UtcNow));
        var scripted = _scripts.FirstOrDefault(s => request.Path.EndsWith(s.Key, StringComparison.Ordinal) && !s.Value.IsEmpty);
        var (status, text) = scripted.Value is { } queue && queue.TryDequeue(out var next) ? next : _defaultAnswer(request.Path, body);
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = text, DetectedBodyType = BodyType.String },
        };
        response.AddHeader("Content-Type", "application/json");
        return response;
    }

    public void Dispose() => Server.Stop();
}
