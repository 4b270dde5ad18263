using System.Text.Json.Nodes;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Tests.Foundation;

/// <summary>A sender whose provider answers are scripted per test.</summary>
public sealed class ScriptedSender : IChannelSender
{
    public ConcurrentQueue<SendOutcome> Script { get; } = new();
    public ConcurrentQueue<OutboundDelivery> Deliveries { get; } = new();
    public OutboundRefusal? Refusal { get; set; }
    public IReadOnlyCollection<Channel> Channels => [Channel.Webchat];
    public OutboundRefusal? Check(OutboundCheck check) => Refusal;

    public Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        Deliveries.Enqueue(delivery);
        return Task.FromResult(Script.TryDequeue(out var outcome) ? outcome : new SendOutcome.Accepted($"P-{delivery.MessageId:N}", "sent"));
    }

    public void Reset()
    {
        Script.Clear();
        Deliveries.Clear();
        Refusal = null;
    }
}

public sealed class OutboxFixture : AppFixture
{
    public ScriptedSender Sender { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Outbox:MaxAttempts"] = "3",
        ["Outbox:RetryBaseDelay"] = "00:00:00.100",
    };
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IChannelSender>(Sender);
}

public class OutboxTests(OutboxFixture fx) : IClassFixture<OutboxFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Sender.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<Guid> ConversationAsync(Channel channel = Channel.Webchat, string address = "visitor-1") =>
        (await fx.App.ReceiveAsync(Inbound.Message(channel, address, Guid.NewGuid().ToString()))).ConversationId!.Value;

    private async Task<System.Text.Json.Nodes.JsonNode> WaitForStatusAsync(Guid conversation, string messageId, string status)
    {
        System.Text.Json.Nodes.JsonNode? message = null;
        try
        {
            await TestSupport.EventuallyAsync(async () =>
            {
                message = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{messageId}");
                return message["status"]!.GetValue<string>() == status;
            }, $"message {messageId} is {status}");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nmessage: {message?.ToJsonString()}\n{await JobDiagnostics.DescribeAsync(fx.Db)}");
        }

        return message!;
    }

    private async Task<List<string>> StatusEventsAsync(Guid conversation) =>
        (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events")).AsArray()
            .Where(e => e!["type"]!.GetValue<string>() == "message.status")
            .Select(e => e!["data"]!["status"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task AReplyIsStoredAcceptedAndSentByAJob()
    {
        var conversation = await ConversationAsync();
        var response = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages",
            new { text = "Your order shipped today.", idempotencyKey = "k-1" });
        var accepted = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        var id = accepted["id"]!.GetValue<string>();
        Assert.Equal("pending", accepted["status"]!.GetValue<string>());
        Assert.Equal(ContactCenterApp.AgentId, accepted["author"]!.GetValue<string>());
        Assert.Equal($"/api/conversations/{conversation}/messages/{id}", response.Headers.Location!.OriginalString);

        var sent = await WaitForStatusAsync(conversation, id, "sent");
        Assert.Equal($"P-{Guid.Parse(id):N}", sent["providerMessageId"]!.GetValue<string>());
        var delivery = Assert.Single(fx.Sender.Deliveries);
        Assert.Equal("visitor-1", delivery.To);
        Assert.Equal("Your order shipped today.", delivery.Content.Text);

        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
        var sentEvent = events.AsArray().Single(e => e!["type"]!.GetValue<string>() == "message.sent")!;
        Assert.Equal("outbound", sentEvent["direction"]!.GetValue<string>());
        Assert.Equal("Your order shipped today.", sentEvent["text"]!.GetValue<string>());
        Assert.Equal(["sent"], await StatusEventsAsync(conversation));
    }

    [Fact]
    public async Task TheSameIdempotencyKeyNeverSendsTwice()
    {
        var conversation = await ConversationAsync();
        var agent = fx.App.Agent();
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Once only", idempotencyKey = "same" })));
        var ids = new List<string>();
        foreach (var r in responses) ids.Add((await r.ReadJsonAsync(HttpStatusCode.Accepted))["id"]!.GetValue<string>());
        Assert.Single(ids.Distinct());
        Assert.Equal(4, responses.Count(r => r.Headers.Contains("Idempotent-Replayed")));

        await WaitForStatusAsync(conversation, ids[0], "sent");
        await Task.Delay(300);
        Assert.Single(fx.Sender.Deliveries);

        var reused = await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Something else", idempotencyKey = "same" });
        await reused.ProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task TemporaryFailuresAreRetriedUntilSent()
    {
        fx.Sender.Script.Enqueue(new SendOutcome.Transient("20429", "Too many requests"));
        fx.Sender.Script.Enqueue(new SendOutcome.Transient("503", "Service unavailable"));
        var conversation = await ConversationAsync();
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "retry me" }, HttpStatusCode.Accepted);

        var sent = await WaitForStatusAsync(conversation, accepted["id"]!.GetValue<string>(), "sent");
        Assert.Equal(3, sent["attempts"]!.GetValue<int>());
        Assert.Equal(3, fx.Sender.Deliveries.Count);
        Assert.Equal([1, 2, 3], fx.Sender.Deliveries.Select(d => d.Attempt));
        Assert.Equal(["sent"], await StatusEventsAsync(conversation));
    }

    [Fact]
    public async Task APermanentErrorFailsAtOnceAndShowsOnTheTimeline()
    {
        fx.Sender.Script.Enqueue(new SendOutcome.Permanent("21211", "The 'To' number is not a valid phone number."));
        var conversation = await ConversationAsync();
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "nope" }, HttpStatusCode.Accepted);

        var failed = await WaitForStatusAsync(conversation, accepted["id"]!.GetValue<string>(), "failed");
        Assert.Equal("21211", failed["errorCode"]!.GetValue<string>());
        Assert.Equal(1, failed["attempts"]!.GetValue<int>());
        await Task.Delay(500);
        Assert.Single(fx.Sender.Deliveries);

        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
        var failure = events.AsArray().Single(e => e!["type"]!.GetValue<string>() == "message.status")!;
        Assert.Equal("failed", failure["data"]!["status"]!.GetValue<string>());
        Assert.Equal("21211", failure["data"]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task GivesUpAfterMaxAttemptsAndSaysSo()
    {
        for (var i = 0; i < 5; i++) fx.Sender.Script.Enqueue(new SendOutcome.Transient("30001", "Queue overflow"));
        var conversation = await ConversationAsync();
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "doomed" }, HttpStatusCode.Accepted);

        var failed = await WaitForStatusAsync(conversation, accepted["id"]!.GetValue<string>(), "failed");
        Assert.Equal(3, failed["attempts"]!.GetValue<int>());
        Assert.Contains("Gave up after 3 attempts", failed["errorMessage"]!.GetValue<string>());
        Assert.Equal(["failed"], await StatusEventsAsync(conversation));
    }

    [Fact]
    public async Task AnOptOutFromTheProviderBlocksFurtherMessages()
    {
        fx.Sender.Script.Enqueue(new SendOutcome.Permanent("21610", "Attempt to send to unsubscribed recipient", OptedOut: true));
        var conversation = await ConversationAsync();
        var agent = fx.App.Agent();
        var accepted = await agent.PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "hello?" }, HttpStatusCode.Accepted);
        await WaitForStatusAsync(conversation, accepted["id"]!.GetValue<string>(), "failed");

        var refused = await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "still there?" });
        var problem = await refused.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("opted-out", problem["code"]!.GetValue<string>());
        var events = await agent.GetJsonAsync($"/api/conversations/{conversation}/events");
        Assert.Contains(events.AsArray(), e => e!["type"]!.GetValue<string>() == "customer.opted_out");
    }

    [Fact]
    public async Task ChannelRulesAndMissingSendersAre409AndStoreNothing()
    {
        fx.Sender.Refusal = new OutboundRefusal("window-closed", "Outside the window", "Use a template.");
        var conversation = await ConversationAsync();
        var agent = fx.App.Agent();
        var refused = await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "late" });
        Assert.Equal("window-closed", (await refused.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());

        var email = await ConversationAsync(Channel.Email, "dana@example.com");
        var unavailable = await agent.PostAsJsonAsync($"/api/conversations/{email}/messages", new { text = "hi" });
        Assert.Equal("channel-unavailable", (await unavailable.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());

        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(0L, await connection.Sql("select count(*) from outbound_messages").ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"text":"   "}""")]
    [InlineData("""{"template":{"contentSid":""}}""")]
    [InlineData("""{"text":"x","mediaUrls":["ftp://files/x.png"]}""")]
    [InlineData("""{"text":42}""")]
    [InlineData("not json")]
    public async Task MalformedRepliesAre400(string body)
    {
        var conversation = await ConversationAsync();
        var response = await fx.App.Agent().PostAsync($"/api/conversations/{conversation}/messages",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task StatusesOnlyMoveForwardAndAreRecordedOnce()
    {
        var conversation = await ConversationAsync();
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "track me" }, HttpStatusCode.Accepted);
        var id = Guid.Parse(accepted["id"]!.GetValue<string>());
        await WaitForStatusAsync(conversation, id.ToString(), "sent");

        var dispatcher = fx.App.Service<OutboxDispatcher>();
        var updates = new List<StatusUpdate>();
        foreach (var status in new[] { "delivered", "sent", "queued", "read", "delivered", "read" })
            updates.Add(await dispatcher.RecordStatusAsync(id, status, null, null, CancellationToken.None));

        Assert.Equal([StatusUpdate.Advanced, StatusUpdate.Unchanged, StatusUpdate.Unchanged, StatusUpdate.Advanced,
            StatusUpdate.Unchanged, StatusUpdate.Unchanged], updates);
        await WaitForStatusAsync(conversation, id.ToString(), "read");
        Assert.Equal(["sent", "delivered", "read"], await StatusEventsAsync(conversation));
        Assert.Equal(StatusUpdate.NotFound, await dispatcher.RecordStatusAsync(Guid.NewGuid(), "sent", null, null, CancellationToken.None));
    }

    [Fact]
    public async Task TheSweepSendsMessagesWhoseJobWasLost()
    {
        var conversation = await ConversationAsync();
        var id = Guid.NewGuid();
        await using (var connection = await fx.Db.OpenConnectionAsync())
        {
            // As if the service died between committing the message and enqueueing its job.
            await connection.Sql("""
                insert into outbound_messages (id, conversation_id, customer_id, channel, to_address, idempotency_key, author,
                                               author_kind, text, status, next_attempt_at, created_at, updated_at)
                select $1, c.id, c.customer_id, c.channel, c.customer_address, 'lost', 'agent-1', 'agent', 'lost job',
                       'pending', now() - interval '5 minutes', now(), now()
                from conversations c where c.id = $2
                """, id, conversation).ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await fx.App.Service<OutboxDispatcher>().SweepAsync(CancellationToken.None));
        await WaitForStatusAsync(conversation, id.ToString(), "sent");
        Assert.Equal("lost job", Assert.Single(fx.Sender.Deliveries).Content.Text);
    }

    [Fact]
    public async Task The_first_attempt_is_made_in_process_and_only_a_retry_becomes_a_Hangfire_job()
    {
        var conversation = await ConversationAsync();
        var first = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "straight out" }, HttpStatusCode.Accepted);
        await WaitForStatusAsync(conversation, first["id"]!.GetValue<string>(), "sent");
        Assert.Equal(0, await DispatchJobsAsync(first["id"]!.GetValue<string>()));

        fx.Sender.Script.Enqueue(new SendOutcome.Transient("20429", "Too many requests"));
        var retried = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "once more" }, HttpStatusCode.Accepted);
        await WaitForStatusAsync(conversation, retried["id"]!.GetValue<string>(), "sent");
        Assert.Equal(1, await DispatchJobsAsync(retried["id"]!.GetValue<string>()));
        Assert.Equal(3, fx.Sender.Deliveries.Count);
    }

    private async Task<long> DispatchJobsAsync(string messageId)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql(
            "select count(*) from hangfire.job where invocationdata::text like '%DispatchAsync%' and arguments::text like '%' || $1 || '%'",
            messageId).ExecuteScalarAsync())!;
    }
}
