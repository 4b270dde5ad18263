using System.Net;
using System.Text.Json.Nodes;

namespace ContactCenter.Tests.Email;

/// <summary>Each email thread is a conversation: a customer may have several open at once (real dovecot and SMTP).</summary>
public class EmailThreadTests(EmailFixture fx) : IClassFixture<EmailFixture>, IAsyncLifetime
{
    private const string Customer = "walter.skinner@customer.test";

    public Task InitializeAsync() => fx.ResetMailAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<JsonNode> ReceivedAsync(string subject)
    {
        JsonNode? found = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            var (_, events) = await fx.App.TimelineAsync(Customer);
            found = events.LastOrDefault(e => e["type"]!.GetValue<string>() == "message.received" && e["data"]!["subject"]!.GetValue<string>() == subject);
            return found is not null;
        }, $"the mail '{subject}' is on the timeline");
        return found!;
    }

    private static string ConversationOf(JsonNode e) => e["conversationId"]!.GetValue<string>();

    private async Task<MimeKit.MimeMessage> AnswerAsync(string conversation, string text)
    {
        var before = fx.Smtp.Messages.Count;
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text }, HttpStatusCode.Accepted);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Smtp.Messages.Count == before + 1), "our answer reached the SMTP server");
        return fx.Smtp.Messages[^1].Message;
    }

    [Fact]
    public async Task ANewThreadOpensItsOwnConversationBesideTheOpenOneAndRepliesFindTheirThread()
    {
        var order = Mail.From(Customer, "Order 4411 is late", "Where is order 4411?");
        await fx.DeliverAsync(order);
        var first = ConversationOf(await ReceivedAsync("Order 4411 is late"));
        var ourAnswer = await AnswerAsync(first, "Let me check order 4411.");

        // Another mail, answering nothing of ours (no In-Reply-To, References or token), while the first is open.
        var invoice = Mail.From(Customer, "Invoice address", "Please change my invoice address.");
        await fx.DeliverAsync(invoice);
        var second = ConversationOf(await ReceivedAsync("Invoice address"));
        Assert.NotEqual(first, second);

        // Both are open, in the mailbox's queue, for the same customer.
        var agent = fx.App.Agent();
        var one = await agent.GetJsonAsync($"/api/conversations/{first}");
        var two = await agent.GetJsonAsync($"/api/conversations/{second}");
        Assert.Equal(one["customerId"]!.GetValue<string>(), two["customerId"]!.GetValue<string>());
        Assert.Null(one["closedAt"]);
        Assert.Null(two["closedAt"]);
        await TestSupport.EventuallyAsync(async () =>
            (await agent.GetJsonAsync($"/api/conversations/{second}"))["queue"]?.GetValue<string>() == "email-support", "the new thread is queued");

        // A reply to our answer joins the first thread; a reply to the second mail joins the second.
        var replyToUs = Mail.From(Customer, "Re: " + ourAnswer.Subject, "Thanks, I will wait.");
        replyToUs.InReplyTo = ourAnswer.MessageId;
        replyToUs.References.Add(order.MessageId!);
        replyToUs.References.Add(ourAnswer.MessageId!);
        var moreInvoice = Mail.From(Customer, "Re: Invoice address", "The new address is 1 Main St.");
        moreInvoice.InReplyTo = invoice.MessageId;
        await fx.DeliverAsync(replyToUs, moreInvoice);
        Assert.Equal(first, ConversationOf(await ReceivedAsync("Re: " + ourAnswer.Subject)));
        Assert.Equal(second, ConversationOf(await ReceivedAsync("Re: Invoice address")));

        // Our answer in the second thread answers its last mail, under its subject.
        var invoiceAnswer = await AnswerAsync(second, "Done, the invoice address is changed.");
        Assert.Equal(moreInvoice.MessageId, invoiceAnswer.InReplyTo);
        Assert.StartsWith("Re: Invoice address [#", invoiceAnswer.Subject);

        // Resolving one thread leaves the other open; it can be reopened beside it (other channels refuse that).
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{first}/resolve", new { }, HttpStatusCode.OK);
        Assert.Null((await agent.GetJsonAsync($"/api/conversations/{second}"))["closedAt"]);
        var reopened = await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{first}/reopen", new { }, HttpStatusCode.OK);
        Assert.Null(reopened["closedAt"]);
        Assert.Equal(2, await fx.Db.CountAsync("select count(*) from conversations where channel = 'email' and closed_at is null"));
        Assert.Equal(4, await fx.Db.CountAsync("select count(*) from timeline_events where type = 'message.received'"));
    }

    [Fact]
    public async Task AMailToAResolvedThreadOpensANewConversation()
    {
        var question = Mail.From(Customer, "Warranty", "Is my kettle under warranty?");
        await fx.DeliverAsync(question);
        var first = ConversationOf(await ReceivedAsync("Warranty"));
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{first}/resolve", new { }, HttpStatusCode.OK);

        var again = Mail.From(Customer, "Re: Warranty", "One more thing about the kettle.");
        again.InReplyTo = question.MessageId;
        await fx.DeliverAsync(again);
        var later = await ReceivedAsync("Re: Warranty");
        Assert.NotEqual(first, ConversationOf(later));
        // The mail still names the thread it answered, for the agent.
        Assert.Equal(first, later["data"]!["thread"]!["conversationId"]!.GetValue<string>());
    }
}
