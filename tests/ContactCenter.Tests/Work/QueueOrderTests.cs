using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Work;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Work;

/// <summary>Routing with the pipeline wide open: sixteen items at once in one instance.</summary>
public sealed class WideRoutingFixture : RoutingFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Work:Parallelism"] = "16",
    };
}

/// <summary>Queue order is the customer's message time, whatever order parallel work happens to finish in.</summary>
public class QueueOrderTests(WideRoutingFixture fx) : IClassFixture<WideRoutingFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Sender.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ABurstOfNewConversationsIsAssignedInMessageTimeOrderWithParallelism16()
    {
        // Room for everyone at once: an assignment pass takes whatever is queued when it runs, so any conversation
        // queued ahead of an earlier one would be assigned ahead of it.
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { messaging = 50 }, status: "available");
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        var sent = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            var message = Inbound.Message(Channel.Webchat, $"burst-{i:00}", $"burst-{i}", at: start.AddMilliseconds(i * 10));
            sent.Add((await fx.App.ReceiveAsync(message)).ConversationId!.Value);
        }

        await fx.App.Service<WorkPipeline>().WaitForIdleAsync();
        var assigned = new List<Guid>();
        await TestSupport.EventuallyAsync(async () =>
        {
            assigned.Clear();
            await using var connection = await fx.Db.OpenConnectionAsync();
            await using var command = connection.Sql("select conversation_id from timeline_events where type = 'conversation.assigned' order by id");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) assigned.Add(reader.GetGuid(0));
            return assigned.Count == sent.Count;
        }, "every conversation of the burst was assigned");

        Assert.Equal(sent, assigned);
    }
}
