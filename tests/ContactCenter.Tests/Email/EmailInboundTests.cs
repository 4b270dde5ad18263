using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Inbound;
using ContactCenter.Tests.Accounts;
using MimeKit;

namespace ContactCenter.Tests.Email;

public class EmailInboundTests(EmailFixture fx) : IClassFixture<EmailFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetMailAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<JsonNode> ReceivedAsync(string address, string? subject = null, int count = 1)
    {
        List<JsonNode> received = [];
        await TestSupport.EventuallyAsync(async () =>
        {
            var (_, events) = await fx.App.TimelineAsync(address);
            received = events.Where(e => e["type"]!.GetValue<string>() == "message.received"
                                          && (subject is null || e["data"]!["subject"]!.GetValue<string>() == subject)).ToList();
            return received.Count >= count;
        }, $"{count} mail(s) from {address} are on the timeline");
        return received[^1];
    }

    [Fact]
    public async Task ANewMailOpensAConversationInTheMailboxQueue()
    {
        var mail = Mail.From("Dana Scully <Dana.Scully@Customer.test>", "Where is my order?", "Hello, my order 12345 has not arrived.");
        await fx.DeliverAsync(mail);

        var received = await ReceivedAsync("dana.scully@customer.test");
        Assert.Equal("email", received["channel"]!.GetValue<string>());
        Assert.Equal("Hello, my order 12345 has not arrived.", received["text"]!.GetValue<string>());
        Assert.Equal(mail.MessageId, received["providerId"]!.GetValue<string>());
        Assert.Equal("support", received["data"]!["mailbox"]!.GetValue<string>());
        var conversationId = received["conversationId"]!.GetValue<string>();
        // The address is an identity like a phone number: lower-cased, found whatever its case.
        var customer = await fx.App.Agent().GetJsonAsync("/api/customers?channel=email&address=DANA.SCULLY%40customer.test");
        Assert.Equal("Dana Scully", customer["name"]!.GetValue<string>());
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}"))["queue"]?.GetValue<string>() == "email-support",
            "the conversation waits in the mailbox's queue");
    }

    [Fact]
    public async Task AReplyToOurAnswerContinuesTheConversation()
    {
        var first = Mail.From("fox@customer.test", "Refund", "I would like a refund.");
        await fx.DeliverAsync(first);
        var received = await ReceivedAsync("fox@customer.test");
        var conversation = received["conversationId"]!.GetValue<string>();
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Sure, which order?" }, HttpStatusCode.Accepted);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Smtp.Messages.Count == 1), "our answer reached the SMTP server");
        var ours = fx.Smtp.Messages[0].Message;

        var reply = Mail.From("fox@customer.test", "Re: Refund", "Order 777.\n\nOn Tue, Dec 1, 2026 Support <support@example.test> wrote:\n> Sure, which order?");
        reply.InReplyTo = ours.MessageId;
        reply.References.Add(first.MessageId!);
        reply.References.Add(ours.MessageId!);
        await fx.DeliverAsync(reply);

        var continued = await ReceivedAsync("fox@customer.test", "Re: Refund");
        Assert.Equal(conversation, continued["conversationId"]!.GetValue<string>());
        Assert.Equal("Order 777.", continued["text"]!.GetValue<string>());
        Assert.Equal("references", continued["data"]!["thread"]!["by"]!.GetValue<string>());
        Assert.Equal(conversation, continued["data"]!["thread"]!["conversationId"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReferencesThreadTheMailWhenTheSubjectChanged()
    {
        var first = Mail.From("mulder@customer.test", "Login trouble", "I cannot log in.");
        await fx.DeliverAsync(first);
        var conversation = (await ReceivedAsync("mulder@customer.test"))["conversationId"]!.GetValue<string>();

        // No In-Reply-To, a new subject, only References naming the first mail.
        var later = Mail.From("mulder@customer.test", "Something else entirely", "Also, my invoice is wrong.");
        later.References.Add(first.MessageId!);
        await fx.DeliverAsync(later);

        var threaded = await ReceivedAsync("mulder@customer.test", "Something else entirely");
        Assert.Equal(conversation, threaded["conversationId"]!.GetValue<string>());
        Assert.Equal(conversation, threaded["data"]!["thread"]!["conversationId"]!.GetValue<string>());
        Assert.Equal("references", threaded["data"]!["thread"]!["by"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnAutoReplyBulkMailOrOurOwnAddressOpensNothing()
    {
        var outOfOffice = Mail.From("away@customer.test", "Out of office", "I am away until Monday.");
        outOfOffice.Headers.Add(HeaderId.AutoSubmitted, "auto-replied");
        var bulk = Mail.From("news@customer.test", "Our newsletter", "Big sale!");
        bulk.Headers.Add("Precedence", "bulk");
        var ours = Mail.From(EmailFixture.Support, "Loop", "Our own mail came back.");
        await fx.DeliverAsync(outOfOffice, bulk, ours);

        List<JsonNode> ignored = [];
        await TestSupport.EventuallyAsync(async () =>
        {
            ignored = (await fx.App.Admin().GetJsonAsync("/api/email/rejected?kind=ignored")).AsArray().Select(n => n!).ToList();
            return ignored.Count == 3;
        }, "three mails were kept aside as ignored");
        Assert.Contains(ignored, i => i["reason"]!.GetValue<string>().Contains("Auto-Submitted: auto-replied"));
        Assert.Contains(ignored, i => i["reason"]!.GetValue<string>().Contains("Precedence: bulk"));
        Assert.Contains(ignored, i => i["reason"]!.GetValue<string>().Contains("our own"));
        foreach (var address in new[] { "away@customer.test", "news@customer.test", EmailFixture.Support })
            Assert.Equal(HttpStatusCode.NotFound, (await fx.App.Agent().GetAsync($"/api/customers?channel=email&address={address}")).StatusCode);
        Assert.Equal(0, await fx.Db.CountAsync("select count(*) from conversations"));
        Assert.Equal(0, await fx.Db.CountAsync("select count(*) from work_items"));
    }

    [Fact]
    public async Task HtmlOnlyMailShowsAsCleanText()
    {
        await fx.DeliverAsync(Mail.Html("html@customer.test", "Broken link", """
            <html><head><style>p { color: red }</style><title>x</title></head>
            <body><p>Hello&nbsp;team,</p><p>The <b>download</b> link &amp; the <a href="https://x.test">button</a> are broken.</p>
            <blockquote>Earlier mail we sent them</blockquote></body></html>
            """));

        var received = await ReceivedAsync("html@customer.test");
        Assert.Equal("Hello team,\n\nThe download link & the button are broken.", received["text"]!.GetValue<string>());
        Assert.True(received["data"]!["fromHtml"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AScriptInHtmlNeverReachesTheDeskAsMarkup()
    {
        await fx.DeliverAsync(Mail.Html("evil@customer.test", "Hi", """
            <p>Please help</p><script>alert('pwned')</script><img src=x onerror="alert(1)">
            <p>&lt;script&gt;still text&lt;/script&gt;</p><svg><script>alert(2)</script></svg>
            """));

        var text = (await ReceivedAsync("evil@customer.test"))["text"]!.GetValue<string>();
        Assert.DoesNotContain("alert", text);
        Assert.DoesNotContain("onerror", text);
        Assert.StartsWith("Please help", text);
        // Escaped markup is the customer's text, and stays text: the desk renders it with textContent.
        Assert.Contains("<script>still text</script>", text);
    }

    [Fact]
    public async Task QuotedHistoryAndSignatureAreCutAndTheOriginalStaysForAgents()
    {
        var mail = Mail.From("skinner@customer.test", "Re: Invoice", """
            Thanks, that solved it.

            --
            Walter Skinner
            Assistant Director

            On Mon, 30 Nov 2026 at 09:00, Support <support@example.test> wrote:
            > Please try again.
            """);
        await fx.DeliverAsync(mail);

        var received = await ReceivedAsync("skinner@customer.test");
        Assert.Equal("Thanks, that solved it.", received["text"]!.GetValue<string>());
        var original = received["data"]!["original"]!.GetValue<string>();
        // The agent may read it once routing has put the conversation where they work (it runs after the commit).
        HttpResponseMessage response = null!;
        await TestSupport.EventuallyAsync(async () =>
        {
            response = await fx.App.Agent().GetAsync(original);
            return response.StatusCode == HttpStatusCode.OK;
        }, "the agent can read the original mail");
        Assert.Equal("message/rfc822", response.Content.Headers.ContentType?.MediaType);
        var full = await MimeMessage.LoadAsync(await response.Content.ReadAsStreamAsync());
        Assert.Contains("> Please try again.", full.TextBody);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.ClientWithKey(null).GetAsync(original)).StatusCode);
    }

    [Fact]
    public async Task AttachmentsAndInlineImagesAreStoredAndServedToAgents()
    {
        var pdf = Enumerable.Range(0, 5000).Select(i => (byte)(i % 251)).ToArray();
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3 };
        var builder = new BodyBuilder { TextBody = "The invoice and a screenshot.", HtmlBody = "<p>The invoice and <img src=\"cid:shot@customer.test\"></p>" };
        builder.Attachments.Add("invoice.pdf", pdf, new ContentType("application", "pdf"));
        var image = builder.LinkedResources.Add("shot.png", png, new ContentType("image", "png"));
        image.ContentId = "shot@customer.test";
        var mail = Mail.From("byers@customer.test", "Invoice", "");
        mail.Body = builder.ToMessageBody();
        await fx.DeliverAsync(mail);

        var received = await ReceivedAsync("byers@customer.test");
        var attachments = received["data"]!["attachments"]!.AsArray();
        Assert.Equal(2, attachments.Count);
        var pdfInfo = attachments.Single(a => a!["fileName"]?.GetValue<string>() == "invoice.pdf")!;
        Assert.Equal(pdf.Length, pdfInfo["size"]!.GetValue<int>());
        var download = await fx.App.Agent().GetAsync(pdfInfo["url"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(pdf, await download.Content.ReadAsByteArrayAsync());
        // Never rendered on our origin: downloaded as bytes, sandboxed.
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Contains("sandbox", download.Headers.GetValues("Content-Security-Policy").Single());
        var pngInfo = attachments.Single(a => a!["inline"]!.GetValue<bool>())!;
        var shown = await fx.App.Agent().GetAsync(pngInfo["url"]!.GetValue<string>());
        Assert.Equal("image/png", shown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(png, await shown.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.ClientWithKey(null).GetAsync(pngInfo["url"]!.GetValue<string>())).StatusCode);
    }

    [Fact]
    public async Task AnAgentOutsideTheMailboxQueueGetsNeitherTheOriginalNorTheAttachments()
    {
        var builder = new BodyBuilder { TextBody = "My contract, attached." };
        builder.Attachments.Add("contract.pdf", new byte[] { 1, 2, 3, 4 }, new ContentType("application", "pdf"));
        var mail = Mail.From("mulder@customer.test", "Contract", "");
        mail.Body = builder.ToMessageBody();
        await fx.DeliverAsync(mail);
        var received = await ReceivedAsync("mulder@customer.test");
        var conversationId = received["conversationId"]!.GetValue<string>();
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Supervisor().GetJsonAsync($"/api/conversations/{conversationId}"))["queue"]?.GetValue<string>() == "email-support",
            "the conversation waits in the mailbox's queue");
        var original = received["data"]!["original"]!.GetValue<string>();
        var attachment = received["data"]!["attachments"]![0]!["url"]!.GetValue<string>();

        var inQueue = await SignedInAgentAsync("ina@example.test", "ina", "email-support");
        var outside = await SignedInAgentAsync("otto@example.test", "otto", "sales");
        Assert.Equal(HttpStatusCode.OK, (await inQueue.GetAsync(original)).StatusCode);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, await (await inQueue.GetAsync(attachment)).Content.ReadAsByteArrayAsync());
        // The same answer as for a mail that does not exist: nothing is confirmed.
        var hidden = await (await outside.GetAsync(original)).ProblemAsync(HttpStatusCode.NotFound);
        var unknown = await (await outside.GetAsync("/api/email/messages/" + new string('0', 32) + "/original")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(unknown["title"]!.GetValue<string>(), hidden["title"]!.GetValue<string>());
        Assert.DoesNotContain("mulder", hidden.ToJsonString());
        await (await outside.GetAsync(attachment)).ProblemAsync(HttpStatusCode.NotFound);
        // Starting an email to that customer is acting on them: refused the same way.
        var customerId = received["customerId"]!.GetValue<string>();
        var start = await outside.ApiAsync(HttpMethod.Post, "/api/email/conversations", new { customerId, subject = "Hello", text = "Hello" });
        Assert.Equal($"No customer {customerId}.", (await start.ProblemAsync(HttpStatusCode.NotFound))["detail"]!.GetValue<string>());

        // A customer the agent sees through an SMS waiting in her queue: the email she starts to them opens a conversation
        // that is hers (it is in no queue she works, so otherwise she could not even read the answer).
        var sms = await fx.App.Service<Inbox>().ReceiveAsync(new InboundEvent
        {
            Channel = Channel.Sms, Address = "+15551230077", Provider = "test", ProviderEventId = "sms-scoped", OccurredAt = DateTimeOffset.UtcNow,
            Text = "Email me please",
        }, CancellationToken.None);
        await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{sms.ConversationId}/transfer", new { queue = "email-support" }, HttpStatusCode.OK);
        var mine = await inQueue.ApiAsync(HttpMethod.Post, "/api/email/conversations",
            new { customerId = sms.CustomerId, to = "scoped@customer.test", subject = "As asked", text = "Here it is." });
        Assert.Equal(HttpStatusCode.Accepted, mine.StatusCode);
        var opened = (await mine.Content.ReadFromJsonAsync<JsonNode>())!["conversationId"]!.GetValue<string>();
        var view = await inQueue.GetAsync($"/api/conversations/{opened}");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        Assert.Equal("ina", (await view.Content.ReadFromJsonAsync<JsonNode>())!["assignee"]!.GetValue<string>());
        await (await outside.GetAsync($"/api/conversations/{opened}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    private async Task<CookieSession> SignedInAgentAsync(string email, string agentId, string queue)
    {
        const string password = "mail-agent-password";
        await fx.App.Admin().PostJsonAsync("/api/users", new { email, name = agentId, role = "agent", agentId, queues = new[] { queue }, password }, HttpStatusCode.Created);
        var session = new CookieSession(fx.App);
        Assert.Equal(HttpStatusCode.OK, (await session.SignInJsonAsync(email, password)).StatusCode);
        return session;
    }

    [Fact]
    public async Task BadMailIsKeptAsideWithItsReasonAndTheWatcherGoesOn()
    {
        var ascii = System.Text.Encoding.ASCII;
        await fx.Imap.DeliverRawAsync(EmailFixture.Support, EmailFixture.Password,
            ascii.GetBytes("To: support@example.test\r\nSubject: nobody\r\nMessage-ID: <nofrom@x.test>\r\n\r\nWho sent this?\r\n"));
        await fx.Imap.DeliverRawAsync(EmailFixture.Support, EmailFixture.Password, ascii.GetBytes(
            "From: klingon@customer.test\r\nTo: support@example.test\r\nSubject: charset\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: text/plain; charset=x-klingon-42\r\n\r\nnuqneH\r\n"));
        var big = Mail.From("big@customer.test", "Huge", "");
        var builder = new BodyBuilder { TextBody = "See attached." };
        builder.Attachments.Add("huge.bin", new byte[EmailFixture.MaxAttachmentBytes + 50_000], new ContentType("application", "octet-stream"));
        big.Body = builder.ToMessageBody();
        await fx.DeliverAsync(big);
        await fx.DeliverAsync(Mail.From("after@customer.test", "Still here?", "The next mail still arrives."));

        await ReceivedAsync("after@customer.test");
        List<JsonNode> rejected = [];
        await TestSupport.EventuallyAsync(async () =>
        {
            rejected = (await fx.App.Admin().GetJsonAsync("/api/email/rejected")).AsArray().Select(n => n!).ToList();
            return rejected.Count == 3;
        }, "three mails were rejected");
        Assert.Contains(rejected, r => r["reason"]!.GetValue<string>() == "no From address");
        Assert.Contains(rejected, r => r["reason"]!.GetValue<string>().Contains("unknown charset 'x-klingon-42'"));
        Assert.Contains(rejected, r => r["reason"]!.GetValue<string>().Contains("over the 200000-byte limit"));
        Assert.All(rejected, r => Assert.Equal("support", r["mailbox"]!.GetValue<string>()));
        var raw = await fx.App.Admin().GetAsync($"/api/email/rejected/{rejected[0]["id"]}/raw");
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fx.App.Agent().GetAsync("/api/email/rejected")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fx.App.Admin().GetAsync("/api/email/rejected?kind=bogus")).StatusCode);
    }
}
