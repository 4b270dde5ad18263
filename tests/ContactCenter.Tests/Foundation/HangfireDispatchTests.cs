using System.Net;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Tests.Foundation;

/// <summary><c>Outbox:DispatchParallelism</c> 0: every first attempt is a Hangfire job, as before the in-process hand-off.</summary>
public sealed class HangfireDispatchFixture : AppFixture
{
    public ScriptedSender Sender { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Outbox:DispatchParallelism"] = "0" };
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IChannelSender>(Sender);
}

public class HangfireDispatchTests(HangfireDispatchFixture fx) : IClassFixture<HangfireDispatchFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Sender.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<Guid> ConversationAsync() =>
        (await fx.App.ReceiveAsync(Inbound.Message(Core.Channels.Channel.Webchat, "visitor-h", Guid.NewGuid().ToString()))).ConversationId!.Value;

    private async Task WaitForStatusAsync(Guid conversation, string messageId, string status) =>
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{messageId}"))["status"]!.GetValue<string>() == status,
            $"message {messageId} is {status}");

    [Fact]
    public async Task Each_first_attempt_is_a_Hangfire_job()
    {
        var conversation = await ConversationAsync();
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "by job" }, HttpStatusCode.Accepted);
        var id = accepted["id"]!.GetValue<string>();
        await WaitForStatusAsync(conversation, id, "sent");
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(1L, await connection.Sql(
            "select count(*) from hangfire.job where invocationdata::text like '%DispatchAsync%' and arguments::text like '%' || $1 || '%'", id).ExecuteScalarAsync());
        Assert.Equal("by job", Assert.Single(fx.Sender.Deliveries).Content.Text);
    }

    [Fact]
    public async Task A_message_whose_send_job_cannot_be_enqueued_is_still_accepted_and_the_sweep_sends_it_once()
    {
        var conversation = await ConversationAsync();
        await using (var connection = await fx.Db.OpenConnectionAsync())
            await connection.Sql("alter table hangfire.job rename to job_unavailable").ExecuteNonQueryAsync();
        System.Text.Json.Nodes.JsonNode accepted;
        try
        {
            // Stored, so 202, not a 500 that would make a caller without an idempotency key send it twice.
            accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "no job store" }, HttpStatusCode.Accepted);
        }
        finally
        {
            await using var connection = await fx.Db.OpenConnectionAsync();
            await connection.Sql("alter table hangfire.job_unavailable rename to job").ExecuteNonQueryAsync();
        }

        var id = Guid.Parse(accepted["id"]!.GetValue<string>());
        Assert.Equal("pending", accepted["status"]!.GetValue<string>());
        Assert.Empty(fx.Sender.Deliveries);
        await using (var connection = await fx.Db.OpenConnectionAsync())
            // The sweep takes messages pending for over 30 s; as if that long had passed.
            await connection.Sql("update outbound_messages set next_attempt_at = now() - interval '1 minute' where id = $1", id).ExecuteNonQueryAsync();

        Assert.Equal(1, await fx.App.Service<OutboxDispatcher>().SweepAsync(CancellationToken.None));
        await WaitForStatusAsync(conversation, id.ToString(), "sent");
        Assert.Equal("no job store", Assert.Single(fx.Sender.Deliveries).Content.Text);
    }
}
