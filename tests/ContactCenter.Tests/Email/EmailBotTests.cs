using System.Text.Json.Nodes;
using MimeKit;

namespace ContactCenter.Tests.Email;

/// <summary>Two mailboxes: <c>support</c> without a bot (queued for people), <c>sales</c> with its own bot.</summary>
public sealed class EmailBotFixture : EmailFixture
{
    public const string Sales = "sales@example.test";

    protected override IEnumerable<string> Accounts => [Support, Burst, Sales];

    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var all = new Dictionary<string, string?>(base.Settings);
            foreach (var (key, value) in Mailbox("sales", Sales)) all[key] = value;
            all["Email:Mailboxes:sales:Bot"] = "messaging-bot";
            return all;
        }
    }
}

public class EmailBotTests(EmailBotFixture fx) : IClassFixture<EmailBotFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.Imap.ClearAsync(EmailBotFixture.Sales, EmailFixture.Password);
        await fx.ResetMailAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<List<JsonNode>> ConversationEventsAsync(string address, Func<List<JsonNode>, bool> until, string what)
    {
        List<JsonNode> events = [];
        await TestSupport.EventuallyAsync(async () =>
        {
            (_, events) = await fx.App.TimelineAsync(address);
            return until(events);
        }, what);
        return events;
    }

    [Fact]
    public async Task AMailboxWithItsOwnBotIsAnsweredByItAndTheOtherMailboxIsNot()
    {
        await fx.Imap.DeliverAsync(EmailBotFixture.Sales, EmailFixture.Password, [Mail.From("lead@customer.test", "Prices", "Hello", to: EmailBotFixture.Sales)]);
        var sales = await ConversationEventsAsync("lead@customer.test", e => e.Any(x => x["type"]!.GetValue<string>() == "bot.reply"),
            "the sales bot answered");
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Smtp.Messages.Count >= 1), "the bot's answer reached the SMTP server");
        var answer = fx.Smtp.Messages[0].Message;
        Assert.Equal(EmailBotFixture.Sales, answer.From.Mailboxes.Single().Address);
        Assert.Equal("lead@customer.test", answer.To.Mailboxes.Single().Address);
        Assert.Equal("auto-replied", answer.Headers[HeaderId.AutoSubmitted]);
        Assert.Contains("virtual assistant", answer.TextBody);
        var salesConversation = sales.First(e => e["type"]!.GetValue<string>() == "message.received")["conversationId"]!.GetValue<string>();
        // The bot holds it: the mailbox routing did not queue it for people.
        var held = await fx.App.Agent().GetJsonAsync($"/api/conversations/{salesConversation}");
        Assert.Null(held["queue"]);

        // The support mailbox has no bot (no Flows:Bots:email): its mail waits in its queue, unanswered.
        await fx.DeliverAsync(Mail.From("client@customer.test", "Broken kettle", "It leaks."));
        var support = await ConversationEventsAsync("client@customer.test", e => e.Any(x => x["type"]!.GetValue<string>() == "conversation.queued"),
            "the support mail is queued");
        var supportConversation = support.First(e => e["type"]!.GetValue<string>() == "message.received")["conversationId"]!.GetValue<string>();
        Assert.Equal("email-support", (await fx.App.Agent().GetJsonAsync($"/api/conversations/{supportConversation}"))["queue"]!.GetValue<string>());
        await fx.App.Service<ContactCenter.Core.Work.WorkPipeline>().WaitForIdleAsync();
        Assert.DoesNotContain((await fx.App.TimelineAsync("client@customer.test")).Events, e => e["type"]!.GetValue<string>() == "bot.reply");
        Assert.Equal(1, await fx.Db.CountAsync("select count(*) from bot_conversations"));
    }
}
