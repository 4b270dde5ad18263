using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace ContactCenter.Tests.Infrastructure;

public static class TestSupport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Waits for a condition that background work (Hangfire jobs, reactions) makes true.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) throw new XunitException($"Timed out waiting until {what}.");
            await Task.Delay(50);
        }
    }

    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
            throw new XunitException($"Expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {body}");
        return JsonNode.Parse(body) ?? throw new XunitException("Empty JSON body.");
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.GetAsync(url)).ReadJsonAsync(expected);

    public static async Task<JsonNode> PostJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected) =>
        await (await client.PostAsJsonAsync(url, body, Json)).ReadJsonAsync(expected);

    /// <summary>A problem-details answer with the expected status and content type.</summary>
    public static async Task<JsonNode> ProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var node = await response.ReadJsonAsync(expected);
        Xunit.Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Xunit.Assert.Equal((int)expected, node["status"]!.GetValue<int>());
        return node;
    }
}
