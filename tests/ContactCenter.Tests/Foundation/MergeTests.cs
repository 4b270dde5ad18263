using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Foundation;

public class MergeTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql, args).ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> AllEventIdsAsync(HttpClient client, Guid customerId, int pageSize = 37)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var url = $"/api/customers/{customerId}/timeline?limit={pageSize}" + (cursor is null ? "" : $"&before={cursor}");
            var page = await client.GetJsonAsync(url);
            ids.AddRange(page["events"]!.AsArray().Select(e => e!["id"]!.ToString()));
            cursor = page["next"]?.GetValue<string>();
        } while (cursor is not null);

        return ids;
    }

    [Fact]
    public async Task MergeDuringConcurrentInboundTrafficLosesNothing()
    {
        var a = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "seed-a", name: "Dana"));
        var b = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "55501", "seed-b"));
        const int perWriter = 60;
        var started = new TaskCompletionSource();
        var written = 0;

        async Task WriteAsync(int writer)
        {
            for (var i = 0; i < perWriter; i++)
            {
                var toA = (i + writer) % 2 == 0;
                await fx.App.ReceiveAsync(toA
                    ? Inbound.Message(Channel.Sms, "+14155550100", $"w{writer}-{i}")
                    : Inbound.Message(Channel.Telegram, "55501", $"w{writer}-{i}"));
                if (Interlocked.Increment(ref written) == perWriter) started.TrySetResult();
            }
        }

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriteAsync(w))).ToArray();
        await started.Task; // a quarter of the traffic is in; the rest races the merge
        var merge = await fx.App.Supervisor().PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { otherCustomerId = b.CustomerId });
        var merged = await merge.ReadJsonAsync(HttpStatusCode.OK);
        await Task.WhenAll(writers);

        const int total = 2 + 4 * perWriter;
        Assert.Equal(a.CustomerId.ToString(), merged["id"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync("select count(*) from timeline_events where customer_id = $1", b.CustomerId));
        Assert.Equal(total, await CountAsync("select count(*) from timeline_events where type = 'message.received' and customer_id = $1", a.CustomerId));
        Assert.Equal(0, await CountAsync("select count(*) from customer_identities where customer_id = $1", b.CustomerId));
        Assert.Equal(0, await CountAsync("select count(*) from conversations where customer_id = $1", b.CustomerId));

        // Through the API: every event once, the merge recorded once, the old id answering with the survivor.
        var ids = await AllEventIdsAsync(fx.App.Agent(), a.CustomerId);
        Assert.Equal(total + 1, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var old = await fx.App.Agent().GetJsonAsync($"/api/customers/{b.CustomerId}");
        Assert.Equal(a.CustomerId.ToString(), old["id"]!.GetValue<string>());
        Assert.Contains(old["identities"]!.AsArray(), i => i!["channel"]!.GetValue<string>() == "telegram");
        Assert.Equal("Dana", old["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task MergeIsIdempotentAndWritesOneMergedEvent()
    {
        var a = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "a1"));
        var b = await fx.App.ReceiveAsync(Inbound.Message(Channel.Messenger, "1234567", "b1", name: "Dana M"));
        var supervisor = fx.App.Supervisor();

        for (var i = 0; i < 3; i++)
        {
            var response = await supervisor.PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { otherCustomerId = b.CustomerId });
            var customer = await response.ReadJsonAsync(HttpStatusCode.OK);
            Assert.Equal(2, customer["identities"]!.AsArray().Count);
            Assert.Equal("Dana M", customer["name"]!.GetValue<string>()); // the survivor had no name
        }

        Assert.Equal(1, await CountAsync("select count(*) from timeline_events where type = 'customer.merged'"));
        var page = await supervisor.GetJsonAsync($"/api/customers/{a.CustomerId}/timeline");
        var mergedEvent = page["events"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "customer.merged")!;
        Assert.Equal(b.CustomerId.ToString(), mergedEvent["data"]!["mergedCustomerId"]!.GetValue<string>());

        // The other direction is now a conflict: B survives only as a pointer to A.
        var reverse = await supervisor.PostAsJsonAsync($"/api/customers/{b.CustomerId}/merge", new { otherCustomerId = a.CustomerId });
        await reverse.ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task OpenConversationsOnTheSameChannelFoldIntoOne()
    {
        var a = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "111", "t-a"));
        var b = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "222", "t-b"));
        var response = await fx.App.Supervisor().PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { otherCustomerId = b.CustomerId });
        var customer = await response.ReadJsonAsync(HttpStatusCode.OK);

        Assert.Single(customer["openConversations"]!.AsArray());
        var folded = await fx.App.Agent().GetJsonAsync($"/api/conversations/{b.ConversationId}");
        Assert.Equal("merged", folded["status"]!.GetValue<string>());
        Assert.Equal(2, await CountAsync("select count(*) from timeline_events where conversation_id = $1", a.ConversationId!.Value));

        // A later message from the folded identity lands in the surviving conversation.
        var later = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "222", "t-b2"));
        Assert.Equal(a.ConversationId, later.ConversationId);
        Assert.Equal(a.CustomerId, later.CustomerId);

        // A note on the folded conversation follows it too.
        var note = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{b.ConversationId}/notes", new { text = "called back" });
        var noteEvent = await note.ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(a.ConversationId.ToString(), noteEvent["conversationId"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadMergeRequestsAreClearErrors()
    {
        var a = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "a1"));
        var supervisor = fx.App.Supervisor();
        await (await supervisor.PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { otherCustomerId = a.CustomerId }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await supervisor.PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await supervisor.PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { otherCustomerId = Guid.NewGuid() }))
            .ProblemAsync(HttpStatusCode.NotFound);
        await (await supervisor.PostAsync($"/api/customers/{a.CustomerId}/merge",
            new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Agent().PostAsJsonAsync($"/api/customers/{a.CustomerId}/merge", new { otherCustomerId = Guid.NewGuid() }))
            .ProblemAsync(HttpStatusCode.Forbidden);
    }
}
