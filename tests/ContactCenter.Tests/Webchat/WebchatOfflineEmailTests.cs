using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Email;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Webchat;

/// <summary>
/// The web chat fixture with two mailboxes that send through a real SMTP server in process: <c>a-sales</c> (queue
/// <c>sales</c>, the first by name) and <c>help</c> (queue <c>general</c>, where the widget "site"'s conversations wait).
/// </summary>
public sealed class WebchatEmailFixture : WebchatFixture
{
    public const string Help = "help@example.test";
    public const string Sales = "sales@example.test";

    public SmtpSink Smtp { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var all = new Dictionary<string, string?>(AllSettings)
            {
                ["Outbox:MaxAttempts"] = "3",
                ["Outbox:RetryBaseDelay"] = "00:00:00.100",
            };
            foreach (var (name, address, queue) in new[] { ("a-sales", Sales, "sales"), ("help", Help, "general") })
            {
                all[$"Email:Mailboxes:{name}:Address"] = address;
                all[$"Email:Mailboxes:{name}:Queue"] = queue;
                all[$"Email:Mailboxes:{name}:Smtp:Host"] = "127.0.0.1";
                all[$"Email:Mailboxes:{name}:Smtp:Port"] = Smtp.Port.ToString();
                all[$"Email:Mailboxes:{name}:Smtp:Security"] = "None";
            }

            return all;
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

/// <summary>A message left through the offline form is answered by e-mail while the visitor is away, in the chat when they are back.</summary>
public sealed class WebchatOfflineEmailTests(WebchatEmailFixture fx) : IClassFixture<WebchatEmailFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Smtp.Reset();
    }

    public Task DisposeAsync() => fx.SettledAsync();

    private static async Task<Guid> LeaveMessageAsync(VisitorClient visitor, string email, string text)
    {
        var left = await visitor.Http.PostJsonAsync("/webchat/offline", new { email, text, clientId = Guid.NewGuid().ToString("N") }, HttpStatusCode.OK);
        return Guid.Parse(left["conversationId"]!.GetValue<string>());
    }

    private async Task<JsonNode> AnswerAsync(Guid conversationId, string text) =>
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversationId}/messages", new { text }, HttpStatusCode.Accepted);

    private async Task<JsonNode> MessageWhenAsync(Guid conversationId, string messageId, Func<JsonNode, bool> condition, string what)
    {
        JsonNode? message = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            message = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}/messages/{messageId}"));
            return condition(message);
        }, what);
        return message!;
    }

    [Fact]
    public async Task The_answer_to_an_offline_message_goes_by_email_from_the_queues_mailbox_and_shows_sent_on_the_timeline()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App);
        var conversationId = await LeaveMessageAsync(visitor, "Dana.Visitor@Example.test", "Please call me about my order");

        var answer = await AnswerAsync(conversationId, "We'll call you at 10.");
        var messageId = answer["id"]!.GetValue<string>();
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Smtp.Messages.Count >= 1), "the answer reached the SMTP server");
        var received = Assert.Single(fx.Smtp.Messages);
        Assert.Equal(["Dana.Visitor@Example.test"], received.To);
        var mail = received.Message;
        // The conversation waits in (or would be routed to) "general": the help mailbox's queue, not the first mailbox.
        Assert.Equal(WebchatEmailFixture.Help, mail.From.Mailboxes.Single().Address);
        Assert.StartsWith(OfflineAnswersSubject, mail.Subject);
        Assert.Contains("We'll call you at 10.", mail.TextBody);
        Assert.StartsWith("om.", mail.MessageId);

        // One message of the web chat conversation, sent by e-mail: its status and the mail's id are on it.
        var sent = await MessageWhenAsync(conversationId, messageId, m => m["status"]!.GetValue<string>() == "sent", "the answer is sent");
        Assert.Equal(mail.MessageId, sent["providerMessageId"]!.GetValue<string>());
        Assert.Equal("webchat", sent["channel"]!.GetValue<string>());
        var statuses = await fx.App.EventsAsync(conversationId, "message.status");
        Assert.Contains(statuses, e => e["data"]!["messageId"]!.GetValue<string>() == messageId && e["data"]!["status"]!.GetValue<string>() == "sent");

        // Back on the site later, the visitor finds the answer in the chat as well.
        Assert.Contains(await visitor.MessagesAsync(), e => e.Text() == "We'll call you at 10.");
    }

    [Fact]
    public async Task A_visitor_back_on_the_widget_gets_the_answer_in_the_chat_and_no_email()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App);
        var conversationId = await LeaveMessageAsync(visitor, "erin@example.test", "Do you ship to Canada?");

        // The visitor comes back: the widget's live connection is open.
        await using var stream = await visitor.StreamAsync();
        await TestSupport.EventuallyAsync(async () => await fx.Db.CountAsync(
            "select count(*) from webchat_visitors where address = (select customer_address from conversations where id = $1) and on_page_at is not null",
            conversationId) == 1, "the visitor is recorded as on the page");

        var answer = await AnswerAsync(conversationId, "Yes, we do.");
        await stream.NextAsync(e => e.Text() == "Yes, we do.", "the answer in the chat");
        await MessageWhenAsync(conversationId, answer["id"]!.GetValue<string>(), m => m["status"]!.GetValue<string>() is "sent" or "read",
            "the answer is delivered");
        await fx.SettledAsync();
        Assert.Empty(fx.Smtp.Messages);
    }

    [Fact]
    public async Task A_mail_server_refusing_the_answer_fails_it_on_the_timeline_with_the_servers_words()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App);
        var conversationId = await LeaveMessageAsync(visitor, "nobody@example.test", "Hello?");
        fx.Smtp.AnswerNext(550, "5.1.1 No such user here");

        var answer = await AnswerAsync(conversationId, "Hello, how can we help?");
        var messageId = answer["id"]!.GetValue<string>();
        var failed = await MessageWhenAsync(conversationId, messageId, m => m["status"]!.GetValue<string>() == "failed", "the answer failed");
        Assert.Equal("550", failed["errorCode"]!.GetValue<string>());
        Assert.Contains("The mail server answered 550", failed["errorMessage"]!.GetValue<string>());
        var status = Assert.Single(await fx.App.EventsAsync(conversationId, "message.status"),
            e => e["data"]!["messageId"]!.GetValue<string>() == messageId && e["data"]!["status"]!.GetValue<string>() == "failed");
        Assert.Contains("No such user here", status["data"]!["errorMessage"]!.GetValue<string>());
        Assert.Empty(fx.Smtp.Messages);
    }

    [Fact]
    public async Task A_chat_that_did_not_start_from_the_offline_form_is_never_mailed()
    {
        using var visitor = await VisitorClient.StartAsync(fx.App);
        var first = await visitor.SayAsync("hello");
        var conversationId = Guid.Parse(first["conversationId"]!.GetValue<string>());
        var answer = await AnswerAsync(conversationId, "Hi there.");
        await MessageWhenAsync(conversationId, answer["id"]!.GetValue<string>(), m => m["status"]!.GetValue<string>() == "sent", "the answer is sent");
        Assert.Empty(fx.Smtp.Messages);
    }

    private const string OfflineAnswersSubject = ContactCenter.Channels.Webchat.OfflineAnswers.Subject + " [#";
}
