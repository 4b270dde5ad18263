using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Tests.Channels;
using MimeKit;

namespace ContactCenter.Tests.Email;

public class EmailOutboundTests(EmailFixture fx) : IClassFixture<EmailFixture>, IAsyncLifetime
{
    public async Task InitializeAsync() => await fx.ResetMailAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A customer's mail came in: its conversation and the mail itself.</summary>
    private async Task<(string Conversation, MimeMessage Mail)> ConversationAsync(string from, string subject = "Order question")
    {
        var mail = Mail.From(from, subject, "Where is my parcel?");
        await fx.DeliverAsync(mail);
        string? conversation = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            var response = await fx.App.Agent().GetAsync($"/api/customers?channel=email&address={from}");
            if (!response.IsSuccessStatusCode) return false;
            var customer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            conversation = customer["openConversations"]!.AsArray().FirstOrDefault()?["id"]?.GetValue<string>();
            return conversation is not null;
        }, $"{from} has an open conversation");
        return (conversation!, mail);
    }

    private async Task<string> ReplyAsync(string conversation, string text) =>
        (await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text }, HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    [Fact]
    public async Task AnAgentReplyArrivesAtTheSmtpServerWithTheRightHeaders()
    {
        var (conversation, mail) = await ConversationAsync("krycek@customer.test");
        var id = await ReplyAsync(conversation, "It ships today.\n\nKind regards,\nSupport");

        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        var received = Assert.Single(fx.Smtp.Messages);
        var reply = received.Message;
        Assert.Equal(EmailFixture.Support, received.From);
        Assert.Equal(["krycek@customer.test"], received.To);
        Assert.Equal(EmailFixture.Support, reply.From.Mailboxes.Single().Address);
        Assert.Equal(mail.MessageId, reply.InReplyTo);
        Assert.Equal([mail.MessageId!], reply.References);
        Assert.Matches(@"^Re: Order question \[#[0-9a-f]{12}\]$", reply.Subject);
        Assert.Equal($"om.{Guid.Parse(id):N}@example.test", reply.MessageId);
        Assert.Equal(reply.MessageId, sent["providerMessageId"]!.GetValue<string>());
        Assert.Equal("It ships today.\n\nKind regards,\nSupport", reply.TextBody!.Replace("\r\n", "\n").TrimEnd());
        Assert.Contains("<p>It ships today.</p>", reply.HtmlBody);
        Assert.Null(reply.Headers[HeaderId.AutoSubmitted]);
    }

    [Fact]
    public async Task ATemporaryFailureIsRetriedAndTheMailSentOnce()
    {
        var (conversation, _) = await ConversationAsync("marita@customer.test");
        fx.Smtp.AnswerNext(451, "4.3.0 Mailbox temporarily unavailable");
        var id = await ReplyAsync(conversation, "We are looking into it.");

        var sent = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        Assert.Equal(2, sent["attempts"]!.GetValue<int>());
        var received = Assert.Single(fx.Smtp.Messages);
        Assert.Equal($"om.{Guid.Parse(id):N}@example.test", received.Message.MessageId);
        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
        Assert.Equal(["sent"], events.AsArray().Where(e => e!["type"]!.GetValue<string>() == "message.status")
            .Select(e => e!["data"]!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task APermanentFailureShowsTheServersAnswerOnTheTimeline()
    {
        var (conversation, _) = await ConversationAsync("spender@customer.test");
        fx.Smtp.AnswerNext(554, "5.7.1 Message rejected as spam");
        var id = await ReplyAsync(conversation, "Hello again.");

        var failed = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "failed");
        Assert.Equal(1, failed["attempts"]!.GetValue<int>());
        Assert.Equal("554", failed["errorCode"]!.GetValue<string>());
        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
        var status = events.AsArray().Single(e => e!["type"]!.GetValue<string>() == "message.status")!;
        Assert.Equal("failed", status["data"]!["status"]!.GetValue<string>());
        Assert.Contains("5.7.1 Message rejected as spam", status["data"]!["errorMessage"]!.GetValue<string>());
        Assert.Empty(fx.Smtp.Messages);
    }

    [Fact]
    public async Task ABounceOfOurReplyMarksItFailed()
    {
        var (conversation, _) = await ConversationAsync("covarrubias@customer.test");
        var id = await ReplyAsync(conversation, "Here is your answer.");
        await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "sent");
        var ours = Assert.Single(fx.Smtp.Messages).Message;

        await fx.Imap.DeliverRawAsync(EmailFixture.Support, EmailFixture.Password, Bounce(ours));

        var failed = await fx.App.WaitForStatusAsync(fx.Db, conversation, id, "failed");
        Assert.Equal("5.1.1", failed["errorCode"]!.GetValue<string>());
        Assert.Contains("User unknown", failed["errorMessage"]!.GetValue<string>());
        // The bounce itself opened nothing and is listed as ignored.
        Assert.Equal(HttpStatusCode.NotFound, (await fx.App.Agent().GetAsync("/api/customers?channel=email&address=mailer-daemon@mx.customer.test")).StatusCode);
        var ignored = (await fx.App.Admin().GetJsonAsync("/api/email/rejected?kind=ignored")).AsArray();
        Assert.Contains(ignored, i => i!["reason"]!.GetValue<string>().Contains("bounce of our message " + id));
    }

    [Fact]
    public async Task AnAgentStartsAnEmailAndTheCustomersAnswerJoinsTheSameCustomer()
    {
        // A customer known from SMS; the agent records their email address by writing to it.
        var sms = await fx.App.Service<Inbox>().ReceiveAsync(new InboundEvent
        {
            Channel = Channel.Sms, Address = "+15551230001", Provider = "test", ProviderEventId = "sms-1", OccurredAt = DateTimeOffset.UtcNow,
            Text = "Please email me the contract.",
        }, CancellationToken.None);
        var started = await fx.App.Agent().PostJsonAsync("/api/email/conversations", new
        {
            customerId = sms.CustomerId, to = "Reyes@Customer.test", subject = "Your contract", text = "Attached is... (link)",
        }, HttpStatusCode.Accepted);
        var conversation = started["conversationId"]!.GetValue<string>();
        await fx.App.WaitForStatusAsync(fx.Db, conversation, started["message"]!["id"]!.GetValue<string>(), "sent");
        var first = Assert.Single(fx.Smtp.Messages).Message;
        Assert.Matches(@"^Your contract \[#[0-9a-f]{12}\]$", first.Subject);
        Assert.Null(first.InReplyTo);
        Assert.Equal("reyes@customer.test", first.To.Mailboxes.Single().Address);

        // The answer quotes only our subject token (no threading headers): it still joins that conversation.
        await fx.DeliverAsync(Mail.From("reyes@customer.test", "Re: " + first.Subject, "Thanks, signed."));
        await TestSupport.EventuallyAsync(async () =>
        {
            var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
            return events.AsArray().Any(e => e!["type"]!.GetValue<string>() == "message.received");
        }, "the answer is on the started conversation");
        var customer = await fx.App.Agent().GetJsonAsync("/api/customers?channel=email&address=reyes@customer.test");
        Assert.Equal(sms.CustomerId.ToString(), customer["id"]!.GetValue<string>());
        var events = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events");
        var answer = events.AsArray().Single(e => e!["type"]!.GetValue<string>() == "message.received")!;
        Assert.Equal("subject", answer["data"]!["thread"]!["by"]!.GetValue<string>());

        // Refusals: no address known, our own address, an address that is someone else's.
        var noEmail = await fx.App.Service<Inbox>().ReceiveAsync(new InboundEvent
        {
            Channel = Channel.Sms, Address = "+15551230002", Provider = "test", ProviderEventId = "sms-2", OccurredAt = DateTimeOffset.UtcNow, Text = "Hi",
        }, CancellationToken.None);
        var refused = await fx.App.Agent().PostAsJsonAsync("/api/email/conversations", new { customerId = noEmail.CustomerId, subject = "Hi", text = "Hello" });
        await refused.ProblemAsync(HttpStatusCode.Conflict);
        var own = await fx.App.Agent().PostAsJsonAsync("/api/email/conversations", new { customerId = noEmail.CustomerId, to = EmailFixture.Support, subject = "Hi", text = "Hello" });
        await own.ProblemAsync(HttpStatusCode.BadRequest);
        var taken = await fx.App.Agent().PostAsJsonAsync("/api/email/conversations", new { customerId = noEmail.CustomerId, to = "reyes@customer.test", subject = "Hi", text = "Hello" });
        await taken.ProblemAsync(HttpStatusCode.Conflict);
        var invalid = await fx.App.Agent().PostAsJsonAsync("/api/email/conversations", new { customerId = noEmail.CustomerId, to = "not-an-address", subject = "Hi", text = "Hello" });
        await invalid.ProblemAsync(HttpStatusCode.BadRequest);
    }

    /// <summary>A delivery status report (RFC 3464) as a receiving server sends it back for our mail.</summary>
    private static byte[] Bounce(MimeMessage ours)
    {
        var headers = string.Join("\r\n", $"From: {EmailFixture.Support}", "To: covarrubias@customer.test", $"Subject: {ours.Subject}",
            $"Message-ID: <{ours.MessageId}>");
        var text = $"""
            From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>
            To: {EmailFixture.Support}
            Subject: Undelivered Mail Returned to Sender
            Message-ID: <bounce.{Guid.NewGuid():N}@mx.customer.test>
            Auto-Submitted: auto-replied
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            Your message could not be delivered.
            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.customer.test

            Final-Recipient: rfc822; covarrubias@customer.test
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 User unknown

            --B
            Content-Type: text/rfc822-headers

            {headers}

            --B--
            """;
        return System.Text.Encoding.ASCII.GetBytes(text.Replace("\r\n", "\n").Replace("\n", "\r\n"));
    }
}
