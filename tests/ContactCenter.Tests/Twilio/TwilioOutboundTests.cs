using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using Xunit.Sdk;

namespace ContactCenter.Tests.Twilio;

public class TwilioOutboundTests(TwilioFixture fx) : IClassFixture<TwilioFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(Guid Conversation, Guid Message)> ReplyAsync(string channel, object body)
    {
        var conversation = await fx.ConversationAsync(channel);
        var accepted = await fx.App.Agent().PostJsonAsync($"/api/conversations/{conversation}/messages", body, HttpStatusCode.Accepted);
        return (conversation, Guid.Parse(accepted["id"]!.GetValue<string>()));
    }

    private async Task<JsonNode> WaitForStatusAsync(Guid conversation, Guid message, string status)
    {
        JsonNode? current = null;
        try
        {
            await TestSupport.EventuallyAsync(async () =>
            {
                current = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}");
                return current["status"]!.GetValue<string>() == status;
            }, $"message {message} is {status}");
        }
        catch (XunitException e)
        {
            throw new XunitException($"{e.Message}\nmessage: {current?.ToJsonString()}\ncalls: {Describe(fx.Twilio.Calls)}\n{await JobDiagnostics.DescribeAsync(fx.Db)}");
        }

        return current!;
    }

    private static string Describe(IEnumerable<TwilioCall> calls) =>
        string.Join("; ", calls.Select(c => string.Join("&", c.Form.Select(p => $"{p.Key}={p.Value}"))));

    private void AssertOneCall(string because = "")
    {
        if (fx.Twilio.Calls.Count != 1) throw new XunitException($"Expected one Twilio call {because}, got: {Describe(fx.Twilio.Calls)}");
    }

    private async Task<List<string>> StatusEventsAsync(Guid conversation) =>
        (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events")).AsArray()
            .Where(e => e!["type"]!.GetValue<string>() == "message.status")
            .Select(e => e!["data"]!["status"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task AReplyIsOneRestCallFromTheNumberTheCustomerWroteTo()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("Is my order shipped?", to: "+15005550009"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Yes, today. Tracking: 1Z999", idempotencyKey = "r-1" });

        var queued = await WaitForStatusAsync(conversation, message, "queued");
        var call = Assert.Single(fx.Twilio.Calls);
        Assert.Equal(TwilioFake.MessagesPath, call.Path);
        Assert.Equal(TwilioFake.ExpectedAuthorization, call.Authorization);
        Assert.Equal(TwilioRequests.Customer, call["To"]);
        Assert.Equal("+15005550009", call["From"]);
        Assert.Equal("Yes, today. Tracking: 1Z999", call["Body"]);
        Assert.Equal($"{TwilioFixture.PublicBase}/webhooks/twilio/messaging/status?messageId={message}", call["StatusCallback"]);
        Assert.Equal(["Body", "From", "StatusCallback", "To"], call.Form.Keys.Order());
        Assert.StartsWith("SM", queued["providerMessageId"]!.GetValue<string>());
        Assert.Equal(1, queued["attempts"]!.GetValue<int>());
        Assert.Equal(["queued"], await StatusEventsAsync(conversation));

        // The same idempotency key again: the same message, nothing sent twice.
        var again = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Yes, today. Tracking: 1Z999", idempotencyKey = "r-1" });
        Assert.Equal(message.ToString(), (await again.ReadJsonAsync(HttpStatusCode.Accepted))["id"]!.GetValue<string>());
        await Task.Delay(500);
        Assert.Single(fx.Twilio.Calls);
    }

    [Fact]
    public async Task AWhatsAppReplyGoesBetweenWhatsAppAddresses()
    {
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Hola"));
        var (conversation, message) = await ReplyAsync("whatsapp", new { text = "Hola, ¿en qué podemos ayudar?" });

        await WaitForStatusAsync(conversation, message, "queued");
        var call = Assert.Single(fx.Twilio.Calls);
        Assert.Equal("whatsapp:" + TwilioRequests.Customer, call["To"]);
        Assert.Equal("whatsapp:" + TwilioFixture.WhatsAppSender, call["From"]);
        Assert.Equal("Hola, ¿en qué podemos ayudar?", call["Body"]);
    }

    [Fact]
    public async Task TooManyRequestsTwiceThenCreatedIsSentOnce()
    {
        fx.Twilio.Script.Enqueue(TwilioFake.Error(429, 20429, "Too Many Requests"));
        fx.Twilio.Script.Enqueue(TwilioFake.Error(429, 20429, "Too Many Requests"));
        await fx.ReceiveAsync(TwilioRequests.Sms("hello?"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Third time lucky" });

        var queued = await WaitForStatusAsync(conversation, message, "queued");
        Assert.Equal(3, queued["attempts"]!.GetValue<int>());
        await Task.Delay(500);
        Assert.Equal(3, fx.Twilio.Calls.Count);
        Assert.All(fx.Twilio.Calls, c => Assert.Equal("Third time lucky", c["Body"]));
        Assert.Equal(["queued"], await StatusEventsAsync(conversation));
    }

    [Fact]
    public async Task ServerErrorsAndTimeoutsAreRetried()
    {
        fx.Twilio.Script.Enqueue(TwilioFake.Error(503, 20503, "Service Unavailable"));
        fx.Twilio.Script.Enqueue(fx.Twilio.Slow(TwilioFixture.RequestTimeout + TimeSpan.FromSeconds(1)));
        await fx.ReceiveAsync(TwilioRequests.Sms("hello?"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Persistent" });

        var queued = await WaitForStatusAsync(conversation, message, "queued");
        Assert.Equal(3, queued["attempts"]!.GetValue<int>());
        // The timed-out attempt did create the message: the third attempt finds it instead of sending it again.
        Assert.Equal(2, fx.Twilio.Calls.Count);
        var created = Assert.Single(fx.Twilio.Messages);
        Assert.Equal(created["sid"], queued["providerMessageId"]!.GetValue<string>());
    }

    [Fact]
    public async Task StatusCallbacksOnlyMoveForwardAndAreRecordedOnce()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("track it"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "On its way" });
        var sid = (await WaitForStatusAsync(conversation, message, "queued"))["providerMessageId"]!.GetValue<string>();

        foreach (var status in new[] { "delivered", "sent", "sending", "delivered" })
        {
            var response = await fx.PostStatusAsync(message, sid, status);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        var final = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}");
        Assert.Equal("delivered", final["status"]!.GetValue<string>());
        Assert.Equal(["queued", "delivered"], await StatusEventsAsync(conversation));

        // A callback without our id (a Messaging Service's own callback URL) is found by Twilio's sid.
        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(null, sid, "read")).StatusCode);
        Assert.Equal(["queued", "delivered", "read"], await StatusEventsAsync(conversation));
        // Unknown messages and statuses we do not track are acknowledged, so Twilio does not retry them.
        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(Guid.NewGuid(), "SMunknown", "delivered")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(message, sid, "receiving")).StatusCode);
        Assert.Equal(3, (await StatusEventsAsync(conversation)).Count);
    }

    [Fact]
    public async Task ACallbackBeforeTheRestAnswerFindsTheMessage()
    {
        fx.Twilio.Script.Enqueue(fx.Twilio.Slow(TimeSpan.FromMilliseconds(1200)));
        await fx.ReceiveAsync(TwilioRequests.Sms("quick"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Racing the callback" });
        await TestSupport.EventuallyAsync(async () => !fx.Twilio.Calls.IsEmpty
            && await fx.CountAsync("select count(*) from outbound_messages where id = $1 and status = 'dispatching'", message) == 1,
            "the REST call is in flight");

        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(message, "SMnotyetknown", "sent")).StatusCode);
        var sent = await WaitForStatusAsync(conversation, message, "sent");
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}"))["providerMessageId"] is not null,
            "the REST answer is recorded");

        var final = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}");
        Assert.Equal("sent", final["status"]!.GetValue<string>()); // the late "queued" of the REST answer moved nothing back
        Assert.Equal(["sent"], await StatusEventsAsync(conversation));
        Assert.Single(fx.Twilio.Calls);
    }

    [Fact]
    public async Task AnUnsubscribedRecipientIsOptedOutAndNotRetried()
    {
        fx.Twilio.Script.Enqueue(TwilioFake.Error(400, 21610, "Attempt to send to unsubscribed recipient"));
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Special offer" });

        var failed = await WaitForStatusAsync(conversation, message, "failed");
        Assert.Equal("21610", failed["errorCode"]!.GetValue<string>());
        Assert.Equal("Attempt to send to unsubscribed recipient", failed["errorMessage"]!.GetValue<string>());
        Assert.Equal(1, failed["attempts"]!.GetValue<int>());
        await Task.Delay(800);
        Assert.Single(fx.Twilio.Calls);

        var identity = (await fx.CustomerAsync("sms", TwilioRequests.Customer))["identities"]!.AsArray().Single()!;
        Assert.True(identity["optedOut"]!.GetValue<bool>());
        var refused = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Still there?" });
        Assert.Equal("opted-out", (await refused.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
        Assert.Equal(["failed"], await StatusEventsAsync(conversation));
    }

    [Theory]
    [InlineData(400, 21211, "The 'To' number is not a valid phone number.")]
    [InlineData(400, 63016, "Failed to send freeform message because you are outside the allowed window.")]
    [InlineData(401, 20003, "Authenticate")]
    public async Task PermanentErrorsFailAtOnceWithTheirCode(int status, int code, string text)
    {
        fx.Twilio.Script.Enqueue(TwilioFake.Error(status, code, text));
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Doomed" });

        var failed = await WaitForStatusAsync(conversation, message, "failed");
        Assert.Equal(code.ToString(), failed["errorCode"]!.GetValue<string>());
        Assert.Equal(text, failed["errorMessage"]!.GetValue<string>());
        await Task.Delay(800);
        AssertOneCall();
        var events = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events")).AsArray();
        var failure = events.Single(e => e!["type"]!.GetValue<string>() == "message.status")!;
        Assert.Equal(code.ToString(), failure["data"]!["errorCode"]!.GetValue<string>());
        Assert.False((await fx.CustomerAsync("sms", TwilioRequests.Customer))["identities"]![0]!["optedOut"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AFailureReportedByCallbackShowsItsCode()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "To a landline" });
        var sid = (await WaitForStatusAsync(conversation, message, "queued"))["providerMessageId"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(message, sid, "undelivered", errorCode: "30006")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(message, sid, "delivered")).StatusCode);

        var final = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}");
        Assert.Equal("undelivered", final["status"]!.GetValue<string>());
        Assert.Equal("30006", final["errorCode"]!.GetValue<string>());
        Assert.Equal("Landline or unreachable carrier.", final["errorMessage"]!.GetValue<string>());
        Assert.Equal(["queued", "undelivered"], await StatusEventsAsync(conversation));
    }

    [Fact]
    public async Task AnUnsubscribedFailureByCallbackOptsOutToo()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Queued, then refused" });
        var sid = (await WaitForStatusAsync(conversation, message, "queued"))["providerMessageId"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.NoContent, (await fx.PostStatusAsync(message, sid, "failed", errorCode: "21610")).StatusCode);
        Assert.Equal("failed", (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}"))["status"]!.GetValue<string>());
        Assert.True((await fx.CustomerAsync("sms", TwilioRequests.Customer))["identities"]![0]!["optedOut"]!.GetValue<bool>());
    }

    [Fact]
    public async Task StatusCallbacksNeedASignatureToo()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var (conversation, message) = await ReplyAsync("sms", new { text = "Tracked" });
        var sid = (await WaitForStatusAsync(conversation, message, "queued"))["providerMessageId"]!.GetValue<string>();

        var forged = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/twilio/messaging/status?messageId={message}")
        {
            Content = new FormUrlEncodedContent([new("MessageSid", sid), new("MessageStatus", "failed"), new("ErrorCode", "30008")]),
        };
        await (await fx.App.CreateClient().SendAsync(forged)).ProblemAsync(HttpStatusCode.Forbidden);
        // Signed for another message id than the one in the URL: the query is part of what is signed.
        var swapped = TwilioRequests.Signed(TwilioFixture.PublicBase, $"/webhooks/twilio/messaging/status?messageId={Guid.NewGuid()}",
            [new("MessageSid", sid), new("MessageStatus", "failed")]);
        swapped.RequestUri = new Uri($"/webhooks/twilio/messaging/status?messageId={message}", UriKind.Relative);
        await (await fx.App.CreateClient().SendAsync(swapped)).ProblemAsync(HttpStatusCode.Forbidden);

        Assert.Equal("queued", (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/messages/{message}"))["status"]!.GetValue<string>());
        var bad = TwilioRequests.Signed(TwilioFixture.PublicBase, "/webhooks/twilio/messaging/status?messageId=nope", [new("MessageSid", sid), new("MessageStatus", "sent")]);
        await (await fx.App.CreateClient().SendAsync(bad)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task WhatsAppOutsideTheWindowNeedsATemplate()
    {
        // The customer wrote 25 hours ago (stored through the core inbox, as the webhook would have).
        var before = DateTimeOffset.UtcNow - TimeSpan.FromHours(25);
        await fx.App.ReceiveAsync(Inbound.Message(Channel.WhatsApp, "whatsapp:" + TwilioRequests.Customer, "SMold", "Old question", at: before));
        var conversation = await fx.ConversationAsync("whatsapp");
        var agent = fx.App.Agent();

        var refused = await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Sorry for the wait!" });
        var problem = await refused.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("whatsapp-template-required", problem["code"]!.GetValue<string>());
        Assert.Contains("24 hours", problem["detail"]!.GetValue<string>());
        Assert.Contains("template", problem["detail"]!.GetValue<string>());
        Assert.Equal(0L, await fx.CountAsync("select count(*) from outbound_messages"));

        var template = await agent.PostJsonAsync($"/api/conversations/{conversation}/messages",
            new { template = new { contentSid = "HX0123456789abcdef0123456789abcdef", variables = new Dictionary<string, string> { ["1"] = "Ada", ["2"] = "#4711" } } },
            HttpStatusCode.Accepted);
        await WaitForStatusAsync(conversation, Guid.Parse(template["id"]!.GetValue<string>()), "queued");
        var call = Assert.Single(fx.Twilio.Calls);
        Assert.Equal("HX0123456789abcdef0123456789abcdef", call["ContentSid"]);
        Assert.Equal("""{"1":"Ada","2":"#4711"}""", call["ContentVariables"]);
        Assert.Null(call["Body"]);
        Assert.Equal("whatsapp:+18005551212", call["From"]); // the number that customer wrote to

        // The customer writes again: the window is open for free-form text.
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Thanks, and one more thing"));
        await agent.PostJsonAsync($"/api/conversations/{conversation}/messages", new { text = "Sure, go ahead." }, HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task TextTooLongForSmsIsRefusedAtOnce()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var conversation = await fx.ConversationAsync("sms");
        var refused = await fx.App.Agent().PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = new string('x', 1601) });
        Assert.Equal("text-too-long", (await refused.ProblemAsync(HttpStatusCode.Conflict))["code"]!.GetValue<string>());
    }
}
