using System.Net;
using System.Net.Http.Json;
using ContactCenter.Channels.Telegram;
using ContactCenter.Core.Outbound;
using ContactCenter.Server.Commands;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ContactCenter.Tests.Channels.TelegramWire;

namespace ContactCenter.Tests.Channels;

public class TelegramOutboundTests(TelegramFixture fx) : IClassFixture<TelegramFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Api.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A customer wrote from Telegram: the conversation agents answer.</summary>
    private async Task<string> ConversationAsync(long user, int updateId)
    {
        var response = await fx.App.PostUpdateAsync(Update(updateId, "message", Text(user, 1, "Hello?")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await fx.App.OpenConversationIdAsync("telegram", user.ToString());
    }

    private async Task<string> ReplyAsync(string conversation, string text) =>
        (await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text }, HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    [Fact]
    public async Task AnAgentReplyReachesTheBotApi()
    {
        var conversation = await ConversationAsync(7001, 6001);
        var id = await ReplyAsync(conversation, "Your parcel is on its way.");

        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        var call = Assert.Single(fx.Api.Calls("/sendMessage"));
        Assert.Equal($"/bot{TelegramFixture.Token}/sendMessage", call.Path);
        Assert.Equal(7001, call.Body!["chat_id"]!.GetValue<long>());
        Assert.Equal("Your parcel is on its way.", call.Body["text"]!.GetValue<string>());
        Assert.Null(call.Body["reply_markup"]);
        Assert.Matches(@"^7001:\d+$", sent["providerMessageId"]!.GetValue<string>());
        Assert.Equal(1, sent["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task A429IsRetriedAfterRetryAfterAndSentOnce()
    {
        var conversation = await ConversationAsync(7002, 6002);
        fx.Api.Enqueue("/sendMessage", 429, TelegramFixture.Error(429, "Too Many Requests: retry after 1", retryAfter: 1));
        var id = await ReplyAsync(conversation, "Sorry for the wait.");

        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        Assert.Equal(2, sent["attempts"]!.GetValue<int>());
        var calls = fx.Api.Calls("/sendMessage");
        Assert.Equal(2, calls.Count);
        // retry_after said one second: the second attempt did not come sooner.
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromMilliseconds(950), $"retried after {calls[1].At - calls[0].At}");
        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
        Assert.Equal(["sent"], events.AsArray().Where(e => e!["type"]!.GetValue<string>() == "message.status")
            .Select(e => e!["data"]!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ABlockedBotOptsTheCustomerOut()
    {
        var conversation = await ConversationAsync(7003, 6003);
        fx.Api.Enqueue("/sendMessage", 403, TelegramFixture.Error(403, "Forbidden: bot was blocked by the user"));
        var id = await ReplyAsync(conversation, "Are you still there?");

        var failed = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "failed");
        Assert.Equal("403", failed["errorCode"]!.GetValue<string>());
        Assert.Contains("blocked by the user", failed["errorMessage"]!.GetValue<string>());
        var customer = await fx.App.Agent().GetJsonAsync("/api/customers?channel=telegram&address=7003");
        Assert.True(customer["identities"]![0]!["optedOut"]!.GetValue<bool>());
        var refused = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Hello?" });
        Assert.Equal("opted-out", (await refused.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        Assert.Single(fx.Api.Calls("/sendMessage"));
    }

    [Fact]
    public async Task OtherClientErrorsFailAtOnceWithTheError()
    {
        var conversation = await ConversationAsync(7004, 6004);
        fx.Api.Enqueue("/sendMessage", 400, TelegramFixture.Error(400, "Bad Request: chat not found"));
        var id = await ReplyAsync(conversation, "Hi");

        var failed = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "failed");
        Assert.Equal("400", failed["errorCode"]!.GetValue<string>());
        Assert.Equal(1, failed["attempts"]!.GetValue<int>());
        var customer = await fx.App.Agent().GetJsonAsync("/api/customers?channel=telegram&address=7004");
        Assert.False(customer["identities"]![0]!["optedOut"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ReplyChoicesRenderAsAnInlineKeyboard()
    {
        var conversation = Guid.Parse(await ConversationAsync(7005, 6005));
        var outcome = await fx.App.Service<Outbox>().AcceptAsync(conversation, new OutboundRequest(
            new OutboundContent("How can we help?", Choices: [new ReplyChoice("track", "Track my order"), new ReplyChoice("agent", "Talk to a person")]),
            "bot-1", "bot", AuthorKind.Bot), CancellationToken.None);
        var accepted = Assert.IsType<AcceptOutcome.Accepted>(outcome);

        await fx.App.WaitForStatusAsync(fx.Db, conversation.ToString(), accepted.Message.Id.ToString(), "sent");
        var call = Assert.Single(fx.Api.Calls("/sendMessage"));
        var keyboard = call.Body!["reply_markup"]!["inline_keyboard"]!.AsArray();
        Assert.Equal(2, keyboard.Count);
        Assert.Equal("Track my order", keyboard[0]![0]!["text"]!.GetValue<string>());
        Assert.Equal("track", keyboard[0]![0]!["callback_data"]!.GetValue<string>());
        Assert.Equal("Talk to a person", keyboard[1]![0]!["text"]!.GetValue<string>());
        Assert.Equal("agent", keyboard[1]![0]!["callback_data"]!.GetValue<string>());
    }

    [Fact]
    public async Task RepliesToOneChatAreSpacedASecondApart()
    {
        // Warm the sending path first: pacing spaces when sends start, and a cold first send (connections,
        // JIT) would reach the fake late and shrink the gap measured at the fake.
        var warm = await ConversationAsync(7016, 6016);
        await fx.App.WaitForStatusAsync(fx.Db, warm, await ReplyAsync(warm, "Warm-up"), "sent");
        fx.Api.Reset();

        var conversation = await ConversationAsync(7006, 6006);
        var requested = DateTime.UtcNow;
        var first = await ReplyAsync(conversation, "One");
        var second = await ReplyAsync(conversation, "Two");
        var third = await ReplyAsync(conversation, "Three");
        foreach (var id in new[] { first, second, third }) await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");

        // Send i may not start before its slot, i seconds after the first could: a lower bound that holds however
        // late a loaded machine delivers each request (gaps between arrivals would shrink with such jitter).
        var calls = fx.Api.Calls("/sendMessage");
        Assert.Equal(3, calls.Count);
        for (var i = 1; i < calls.Count; i++)
            Assert.True(calls[i].At - requested >= TimeSpan.FromSeconds(i) - TimeSpan.FromMilliseconds(20),
                $"send {i} reached Telegram {calls[i].At - requested} after the first reply was requested");
    }

    [Fact]
    public async Task PacingHoldsAcrossInstancesSharingTheDatabase()
    {
        // Two pacers over the same database, as two service instances would have, on a clock that stands still
        // so the slots they are given are exact.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new TelegramOptions { PerChatInterval = TimeSpan.FromSeconds(1), MaxPacingWait = TimeSpan.FromSeconds(3) });
        var a = new TelegramPacer(fx.Db, options, clock);
        var b = new TelegramPacer(fx.Db, options, clock);
        static void Near(double seconds, TimeSpan actual) =>
            Assert.InRange(actual, TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(1));

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            var (reserved, wait) = await (i % 2 == 0 ? a : b).ReserveAsync("9001", CancellationToken.None);
            Assert.True(reserved);
            waits.Add(wait);
        }

        Near(0, waits[0]);
        Near(1, waits[1]);
        Near(2, waits[2]);
        Near(3, waits[3]);
        // Another chat shares only the bot's 30/s: four sends so far put it 4/30 s out.
        var other = await b.ReserveAsync("9002", CancellationToken.None);
        Assert.True(other.Reserved);
        Near(4.0 / 30, other.Wait);

        // Three seconds ahead is the most a send waits in-process: the next one is handed back, reserving nothing.
        var refused = await a.ReserveAsync("9001", CancellationToken.None);
        Assert.False(refused.Reserved);
        Assert.True(refused.Wait > TimeSpan.Zero);
        clock.Advance(TimeSpan.FromSeconds(2));
        var later = await b.ReserveAsync("9001", CancellationToken.None);
        Assert.True(later.Reserved);
        Near(2, later.Wait);
    }

    [Fact]
    public async Task TheSetWebhookCommandRegistersTheUrlWithTheSecret()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = TelegramFixture.Token,
            ["Telegram:WebhookSecret"] = TelegramFixture.Secret,
            ["Telegram:ApiBaseUrl"] = fx.Api.Url,
        }).Build();
        var output = new StringWriter();
        var original = Console.Out;
        int code;
        try
        {
            Console.SetOut(output);
            code = await CommandLine.RunAsync(["telegram", "set-webhook", "https://contact.example.com/"], configuration);
        }
        finally
        {
            Console.SetOut(original);
        }

        Assert.Equal(0, code);
        var call = Assert.Single(fx.Api.Calls("/setWebhook"));
        Assert.Equal($"/bot{TelegramFixture.Token}/setWebhook", call.Path);
        Assert.Equal("https://contact.example.com/webhooks/telegram", call.Body!["url"]!.GetValue<string>());
        Assert.Equal(TelegramFixture.Secret, call.Body["secret_token"]!.GetValue<string>());
        Assert.Contains("callback_query", call.Body["allowed_updates"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Contains("https://contact.example.com/webhooks/telegram", output.ToString());
        Assert.DoesNotContain(TelegramFixture.Token, output.ToString());
        Assert.DoesNotContain(TelegramFixture.Secret, output.ToString());

        // Telegram only calls HTTPS webhooks: a plain-HTTP URL is refused before anything is sent.
        Assert.Equal(2, await TelegramCommands.RunAsync(["set-webhook", "http://contact.example.com"], configuration, new StringWriter()));
        Assert.Single(fx.Api.Calls("/setWebhook"));
    }
}
