using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Work;
using ContactCenter.Tests.Foundation;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ContactCenter.Tests.Routing;

/// <summary>A host with a webchat sender (agents can answer) and short response targets.</summary>
public class RoutingFixture : AppFixture
{
    public ScriptedSender Sender { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Sla:Targets:webchat:FirstResponse"] = "00:00:03",
        ["Sla:Targets:webchat:NextResponse"] = "00:00:03",
        ["Sla:Targets:webchat:Resolution"] = "01:00:00",
        ["Routing:SweepInterval"] = "00:00:01",
        ["Routing:AutoQueue"] = "true",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IChannelSender>(Sender);
}

/// <summary>Set-up and inspection through the HTTP API, as an admin, supervisor or agent would.</summary>
public static class RoutingKit
{
    public static async Task<JsonNode> CreateAgentAsync(this ContactCenterApp app, string id, object? skills = null, object? capacity = null,
        string status = "offline") =>
        await app.Admin().PostJsonAsync("/api/agents", new { id, name = id, skills, capacity, status }, HttpStatusCode.Created);

    public static async Task SetStatusAsync(this ContactCenterApp app, string agentId, string status) =>
        await app.Supervisor().PostJsonAsync($"/api/agents/{agentId}/status", new { status }, HttpStatusCode.OK);

    public static async Task<JsonNode> PutQueueAsync(this ContactCenterApp app, string name, object definition)
    {
        var response = await app.Admin().PutAsync($"/api/queues/{name}",
            System.Net.Http.Json.JsonContent.Create(definition, options: TestSupport.Json));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT /api/queues/{name}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>A customer writes on webchat: a new conversation (auto-queued in the default queue).</summary>
    public static async Task<Guid> CustomerWritesAsync(this ContactCenterApp app, string visitor, string? text = null) =>
        (await app.ReceiveAsync(Inbound.Message(Channel.Webchat, visitor, Guid.NewGuid().ToString(), text))).ConversationId!.Value;

    public static async Task<JsonNode> ConversationAsync(this ContactCenterApp app, Guid id) =>
        await app.Supervisor().GetJsonAsync($"/api/conversations/{id}");

    public static async Task<List<JsonNode>> EventsAsync(this ContactCenterApp app, Guid id, string? type = null) =>
        (await app.Supervisor().GetJsonAsync($"/api/conversations/{id}/events")).AsArray()
            .Where(e => type is null || e!["type"]!.GetValue<string>() == type).Select(e => e!).ToList();

    public static async Task<List<JsonNode>> ClocksAsync(this ContactCenterApp app, Guid id) =>
        (await app.Supervisor().GetJsonAsync($"/api/conversations/{id}/clocks")).AsArray().Select(c => c!).ToList();

    public static async Task<JsonNode> WaitForAsync(this ContactCenterApp app, Guid id, Func<JsonNode, bool> condition, string what,
        TimeSpan? timeout = null)
    {
        JsonNode? last = null;
        try
        {
            await TestSupport.EventuallyAsync(async () => condition(last = await app.ConversationAsync(id)), what, timeout);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nconversation: {last?.ToJsonString()}");
        }

        return last!;
    }

    public static Task<JsonNode> WaitForStatusAsync(this ContactCenterApp app, Guid id, string status) =>
        app.WaitForAsync(id, c => c["status"]!.GetValue<string>() == status, $"conversation {id} is {status}");

    public static async Task<JsonNode> WaitForEventAsync(this ContactCenterApp app, Guid id, string type, TimeSpan? timeout = null)
    {
        JsonNode? found = null;
        try
        {
            await TestSupport.EventuallyAsync(async () => (found = (await app.EventsAsync(id, type)).FirstOrDefault()) is not null,
                $"conversation {id} has {type}", timeout);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{await DiagnoseAsync(app, id)}");
        }

        return found!;
    }

    /// <summary>What the database holds about a conversation's routing, for failure messages.</summary>
    public static async Task<string> DiagnoseAsync(ContactCenterApp app, Guid id)
    {
        await using var db = NpgsqlDataSource.Create(app.ConnectionString);
        await using var connection = await db.OpenConnectionAsync();
        var lines = new List<string> { $"now {DateTimeOffset.UtcNow:O}" };
        foreach (var sql in new[]
        {
            $"select id, type, recorded_at, data::text from timeline_events where conversation_id = '{id}' order by id",
            $"select id, kind, started_by, started_at, warn_at, due_at, next_check_at, lease_until, stopped_at, stop_reason, warned_at, breached_at from response_clocks where conversation_id = '{id}'",
            $"select status, queue, assignee, priority from conversations where id = '{id}'",
            "select id, kind, ordering_key, status, attempts, due_at, lease_until, last_error from work_items",
        })
        {
            await using var command = connection.Sql(sql);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                lines.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        lines.Add(await JobDiagnostics.DescribeAsync(db));
        return string.Join("\n", lines);
    }

    public static string? Assignee(this JsonNode conversation) => conversation["assignee"]?.GetValue<string>();

    /// <summary>Everything the work pipeline had due is done, follow-ups included.</summary>
    public static Task SettledAsync(this AppFixture fx) => fx.App.Service<WorkPipeline>().WaitForIdleAsync();
}
