using System.Net;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Foundation;

public class InboxTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql, args).ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task StoresCustomerConversationAndEventReadableThroughTheApi()
    {
        var result = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+1 (415) 555-0100", "SM1", "Where is my order?", name: "Dana"));

        Assert.False(result.Duplicate);
        Assert.True(result.ConversationOpened);
        var agent = fx.App.Agent();
        var customer = await agent.GetJsonAsync("/api/customers?channel=sms&address=%2B14155550100");
        Assert.Equal(result.CustomerId.ToString(), customer["id"]!.GetValue<string>());
        Assert.Equal("Dana", customer["name"]!.GetValue<string>());
        Assert.Equal("+14155550100", customer["identities"]![0]!["address"]!.GetValue<string>());
        Assert.Equal(result.ConversationId.ToString(), customer["openConversations"]![0]!["id"]!.GetValue<string>());

        var page = await agent.GetJsonAsync($"/api/customers/{result.CustomerId}/timeline");
        var e = page["events"]!.AsArray().Single()!;
        Assert.Equal("message.received", e["type"]!.GetValue<string>());
        Assert.Equal("sms", e["channel"]!.GetValue<string>());
        Assert.Equal("inbound", e["direction"]!.GetValue<string>());
        Assert.Equal("Where is my order?", e["text"]!.GetValue<string>());
        Assert.Equal("SM1", e["providerId"]!.GetValue<string>());
        Assert.Equal(result.ConversationId.ToString(), e["conversationId"]!.GetValue<string>());

        var conversation = await agent.GetJsonAsync($"/api/conversations/{result.ConversationId}");
        Assert.Equal("sms", conversation["channel"]!.GetValue<string>());
        Assert.Equal("open", conversation["status"]!.GetValue<string>());
        Assert.Null(conversation["handoff"]);
    }

    [Fact]
    public async Task OneNumberOverSmsWhatsAppAndVoiceIsOneCustomer()
    {
        var sms = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "SM-a"));
        var whatsapp = await fx.App.ReceiveAsync(Inbound.Message(Channel.WhatsApp, "whatsapp:+14155550100", "SM-b"));
        var voice = await fx.App.ReceiveAsync(Inbound.Message(Channel.Voice, "(415) 555-0100", "CA-c"));

        Assert.Equal(sms.CustomerId, whatsapp.CustomerId);
        Assert.Equal(sms.CustomerId, voice.CustomerId);
        Assert.Equal(1, await CountAsync("select count(*) from customers"));
        Assert.Equal(3, await CountAsync("select count(*) from conversations"));

        var customer = await fx.App.Agent().GetJsonAsync($"/api/customers/{sms.CustomerId}");
        var channels = customer["identities"]!.AsArray().Select(i => i!["channel"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["sms", "voice", "whatsapp"], channels);
        Assert.Equal(3, customer["openConversations"]!.AsArray().Count);
    }

    [Fact]
    public async Task DifferentNumbersOrChannelKindsAreNotMergedAutomatically()
    {
        var a = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "SM-1"));
        var b = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550101", "SM-2"));
        // A Telegram user id that happens to be the same digits is not a phone number.
        var c = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "14155550100", "tg-1"));
        Assert.Equal(3, new[] { a.CustomerId, b.CustomerId, c.CustomerId }.Distinct().Count());
    }

    [Fact]
    public async Task TwentyConcurrentDeliveriesOfOneEventStoreOneEvent()
    {
        var inbound = Inbound.Message(Channel.WhatsApp, "whatsapp:+447700900123", "SMdup", "hello");
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => fx.App.ReceiveAsync(inbound))));

        Assert.Single(results, r => !r.Duplicate);
        Assert.Single(results.Select(r => r.EventId).Distinct());
        Assert.Single(results.Select(r => r.CustomerId).Distinct());
        Assert.Equal(1, await CountAsync("select count(*) from timeline_events"));
        Assert.Equal(1, await CountAsync("select count(*) from customers"));
        Assert.Equal(1, await CountAsync("select count(*) from conversations"));
        Assert.Equal(1, await CountAsync("select count(*) from customer_identities"));
    }

    [Fact]
    public async Task FirstMessagesFromOneNumberOnTwoChannelsAtOnceMakeOneCustomer()
    {
        var tasks = Enumerable.Range(0, 10).Select(i => Task.Run(() => fx.App.ReceiveAsync(
            Inbound.Message(i % 2 == 0 ? Channel.Sms : Channel.WhatsApp, "+14155550177", $"race-{i}"))));
        var results = await Task.WhenAll(tasks);
        Assert.Single(results.Select(r => r.CustomerId).Distinct());
        Assert.Equal(1, await CountAsync("select count(*) from customers"));
        Assert.Equal(10, await CountAsync("select count(*) from timeline_events"));
    }

    [Fact]
    public async Task ARetryAfterTheConversationClosedIsStillADuplicate()
    {
        var first = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "SM-retry"));
        var resolved = await fx.App.Agent().PostAsync($"/api/conversations/{first.ConversationId}/resolve", null);
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);

        var retry = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "SM-retry"));
        Assert.True(retry.Duplicate);
        Assert.Equal(first.EventId, retry.EventId);
        Assert.Equal(1, await CountAsync("select count(*) from conversations"));

        var next = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "SM-new"));
        Assert.True(next.ConversationOpened);
        Assert.NotEqual(first.ConversationId, next.ConversationId);
    }

    [Fact]
    public async Task MediaAndProviderDataAreKeptOnTheEvent()
    {
        var inbound = Inbound.Message(Channel.WhatsApp, "whatsapp:+14155550100", "MM1", "see photo") with
        {
            Media = [new MediaReference("https://api.twilio.com/media/ME1", "image/jpeg")],
            Data = new System.Text.Json.Nodes.JsonObject { ["profileName"] = "Dana" },
        };
        var result = await fx.App.ReceiveAsync(inbound);
        var page = await fx.App.Agent().GetJsonAsync($"/api/customers/{result.CustomerId}/timeline");
        var data = page["events"]![0]!["data"]!;
        Assert.Equal("https://api.twilio.com/media/ME1", data["media"]![0]!["url"]!.GetValue<string>());
        Assert.Equal("image/jpeg", data["media"]![0]!["contentType"]!.GetValue<string>());
        Assert.Equal("Dana", data["profileName"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheTimelineRefusesUpdatesAndDeletes()
    {
        await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "SM-immutable", "original"));
        await using var connection = await fx.Db.OpenConnectionAsync();
        var update = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            connection.Sql("update timeline_events set text = 'changed'").ExecuteNonQueryAsync());
        Assert.Contains("append-only", update.MessageText);
        var delete = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            connection.Sql("delete from timeline_events").ExecuteNonQueryAsync());
        Assert.Contains("append-only", delete.MessageText);
    }
}
