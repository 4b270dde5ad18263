using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Twilio;

public class TwilioKeywordTests(TwilioFixture fx) : IClassFixture<TwilioFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<bool> OptedOutAsync(string channel) =>
        (await fx.CustomerAsync(channel, TwilioRequests.Customer))["identities"]!.AsArray()
        .Single(i => i!["channel"]!.GetValue<string>() == channel)!["optedOut"]!.GetValue<bool>();

    private async Task<HttpResponseMessage> ReplyAsync(string channel, string text) =>
        await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{await fx.ConversationAsync(channel)}/messages", new { text });

    private async Task<List<string>> OptEventsAsync(string channel) =>
        (await fx.App.Agent().GetJsonAsync($"/api/conversations/{await fx.ConversationAsync(channel)}/events")).AsArray()
        .Select(e => e!["type"]!.GetValue<string>()).Where(t => t.StartsWith("customer.opted", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task StopOptsOutStartOptsBackIn()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("Hi, question about my bill"));
        var stop = TwilioRequests.Sms("Stop");
        await fx.ReceiveAsync(stop);

        Assert.True(await OptedOutAsync("sms"));
        var refused = await ReplyAsync("sms", "But wait!");
        Assert.Equal("opted-out", (await refused.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        var events = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{await fx.ConversationAsync("sms")}/events")).AsArray();
        Assert.Equal("opt-out", events.Single(e => e!["text"]?.GetValue<string>() == "Stop")!["data"]!["keyword"]!.GetValue<string>());
        Assert.Equal(["customer.opted_out"], await OptEventsAsync("sms"));

        await fx.ReceiveAsync(TwilioRequests.Sms("START"));
        Assert.False(await OptedOutAsync("sms"));
        await (await ReplyAsync("sms", "Welcome back")).ReadJsonAsync(HttpStatusCode.Accepted);

        // Twilio retrying the old STOP delivery must not undo the later START.
        await fx.ReceiveAsync(stop);
        Assert.False(await OptedOutAsync("sms"));
        Assert.Equal(["customer.opted_out", "customer.opted_in"], await OptEventsAsync("sms"));
    }

    [Fact]
    public async Task OptOutIsPerChannel()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hello"));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("UNSUBSCRIBE"));

        Assert.True(await OptedOutAsync("whatsapp"));
        Assert.False(await OptedOutAsync("sms"));
        await (await ReplyAsync("sms", "Still fine here")).ReadJsonAsync(HttpStatusCode.Accepted);
        await (await ReplyAsync("whatsapp", "Not here")).ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task HelpAndOrdinaryWordsChangeNothing()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("HELP"));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Cancel")); // an order, most likely: WhatsApp has no carrier keywords
        await fx.ReceiveAsync(TwilioRequests.Sms("please stop calling me at work"));

        Assert.False(await OptedOutAsync("sms"));
        Assert.False(await OptedOutAsync("whatsapp"));
        var events = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{await fx.ConversationAsync("sms")}/events")).AsArray();
        Assert.Equal("help", events.Single(e => e!["text"]!.GetValue<string>() == "HELP")!["data"]!["keyword"]!.GetValue<string>());
        Assert.Null(events.Single(e => e!["text"]!.GetValue<string>().StartsWith("please", StringComparison.Ordinal))!["data"]!["keyword"]);
        Assert.Empty(await OptEventsAsync("sms"));
        Assert.Empty(await OptEventsAsync("whatsapp"));
    }

    [Fact]
    public async Task AStopIsStoredWithItsOptOutOrNotAtAll()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hello"));
        await using (var connection = await fx.Db.OpenConnectionAsync())
        {
            // A fault between storing the message and recording the opt-out: the opt-out write fails.
            await connection.Sql("""
                create function fail_opt_out() returns trigger language plpgsql as $$
                begin raise exception 'simulated fault while recording the opt-out'; end $$;
                create trigger fail_opt_out before update of opted_out on customer_identities
                    for each row execute function fail_opt_out();
                """).ExecuteNonQueryAsync();
        }

        var stop = TwilioRequests.Sms("STOP");
        var failed = await fx.PostMessageAsync(stop);
        Assert.False(failed.IsSuccessStatusCode); // Twilio will retry
        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{await fx.ConversationAsync("sms")}/events");
        Assert.DoesNotContain(events.AsArray(), e => e!["text"]?.GetValue<string>() == "STOP");
        Assert.False(await OptedOutAsync("sms"));

        await using (var connection = await fx.Db.OpenConnectionAsync())
        {
            await connection.Sql("drop trigger fail_opt_out on customer_identities; drop function fail_opt_out();").ExecuteNonQueryAsync();
        }

        // Twilio's retry of the same delivery now stores the message and the opt-out together.
        await fx.ReceiveAsync(stop);
        Assert.True(await OptedOutAsync("sms"));
        Assert.Equal(["customer.opted_out"], await OptEventsAsync("sms"));
    }
}
