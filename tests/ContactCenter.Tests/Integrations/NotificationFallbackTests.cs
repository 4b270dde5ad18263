using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Integrations;

public class NotificationFallbackTests(NotificationFixture fx) : IClassFixture<NotificationFixture>, IAsyncLifetime
{
    private const string Customer = TwilioRequests.Customer;

    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
        fx.Telegram.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<Guid> SmsCustomerAsync(string text = "hello")
    {
        await fx.ReceiveAsync(TwilioRequests.Sms(text));
        return Guid.Parse((await fx.CustomerAsync("sms", Customer))["id"]!.GetValue<string>());
    }

    private List<TwilioCall> CallsTo(string to) => fx.Twilio.Calls.Where(c => c["To"] == to).ToList();

    /// <summary>The outbox sends from a job after the notification hands it over: wait for the provider call.</summary>
    private async Task<TwilioCall> OneCallToAsync(string to)
    {
        await TestSupport.EventuallyAsync(() => Task.FromResult(CallsTo(to).Count > 0), $"Twilio is called for {to}");
        return Assert.Single(CallsTo(to));
    }

    private static object WhatsAppThenSms(Guid customerId, string fallbackAfter = "00:10:00", string? key = null) => new
    {
        customerId,
        channels = new[] { "whatsapp", "sms" },
        content = new
        {
            whatsapp = new { template = new { contentSid = Notify.Template, variables = new Dictionary<string, string> { ["1"] = "A-1001" } } },
            sms = new { text = "Your order A-1001 has shipped." },
        },
        fallbackAfter,
        idempotencyKey = key,
    };

    [Fact]
    public async Task WhatsAppUndelivered63016FallsBackToSmsAndEveryStepIsOnTheTimeline()
    {
        var customerId = await SmsCustomerAsync();
        var id = await fx.SendAsync(WhatsAppThenSms(customerId));

        var sent = await fx.WaitAsync(id, n => n.Attempts().Count == 1, "the WhatsApp template is sent");
        Assert.Equal("sending", sent.Status());
        Assert.Equal(Notify.Template, (await OneCallToAsync("whatsapp:" + Customer))["ContentSid"]);
        var whatsappMessage = Guid.Parse(sent.Attempts()[0]!["messageId"]!.GetValue<string>());

        // Twilio reports it undelivered: 63016, outside the window and the template failed.
        var status = await fx.PostStatusAsync(whatsappMessage, "SMwa1", "undelivered", "63016", to: "whatsapp:" + Customer);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);

        var fellBack = await fx.WaitAsync(id, n => n.Attempts().Count == 2, "the SMS fallback is sent");
        Assert.Equal(["whatsapp", "sms"], fellBack.Attempts().Select(a => a!["channel"]!.GetValue<string>()));
        Assert.Equal("undelivered", fellBack.Attempts()[0]!.Status());
        Assert.Equal("63016", fellBack.Attempts()[0]!["reason"]!.GetValue<string>());
        Assert.Equal("Your order A-1001 has shipped.", (await OneCallToAsync(Customer))["Body"]);

        var smsMessage = Guid.Parse(fellBack.Attempts()[1]!["messageId"]!.GetValue<string>());
        await fx.PostStatusAsync(smsMessage, "SMsms1", "delivered");
        var done = await fx.WaitAsync(id, n => n.Status() == "delivered", "the notification is delivered");
        Assert.Equal("delivered", done.Attempts()[1]!.Status());

        Assert.Equal(
            ["notification.attempt whatsapp sent", "notification.attempt whatsapp undelivered", "notification.attempt sms sent",
             "notification.outcome sms delivered"],
            await fx.NotificationStepsAsync(customerId));
    }

    [Fact]
    public async Task NotDeliveredWithinFallbackAfterTriesTheNextChannel()
    {
        var customerId = await SmsCustomerAsync();
        var id = await fx.SendAsync(WhatsAppThenSms(customerId, fallbackAfter: "00:00:02"));

        // WhatsApp accepts it (queued) and never reports delivery: after the window, SMS.
        var done = await fx.WaitAsync(id, n => n.Attempts().Count == 2, "the SMS goes out after the window", TimeSpan.FromSeconds(30));
        Assert.Equal("timed-out", done.Attempts()[0]!.Status());
        Assert.Contains("00:00:02", done.Attempts()[0]!["reason"]!.GetValue<string>());
        await OneCallToAsync("whatsapp:" + Customer);
        await OneCallToAsync(Customer);
        Assert.Equal(
            ["notification.attempt whatsapp sent", "notification.attempt whatsapp timed-out", "notification.attempt sms sent"],
            await fx.NotificationStepsAsync(customerId));
    }

    [Fact]
    public async Task AnOptedOutSmsNumberIsSkippedWithItsReason()
    {
        var customerId = await SmsCustomerAsync();
        await fx.ReceiveAsync(TwilioRequests.Sms("STOP"));
        var id = await fx.SendAsync(new
        {
            customerId,
            channels = new[] { "sms", "whatsapp" },
            content = new
            {
                sms = new { text = "Appointment tomorrow at 9" },
                whatsapp = new { template = new { contentSid = Notify.Template } },
            },
        });

        var sent = await fx.WaitAsync(id, n => n.Attempts().Count == 2, "WhatsApp is tried after the skipped SMS");
        Assert.Equal("skipped", sent.Attempts()[0]!.Status());
        Assert.Equal("opted-out", sent.Attempts()[0]!["reason"]!.GetValue<string>());
        Assert.Equal("whatsapp", sent.Attempts()[1]!["channel"]!.GetValue<string>());
        await OneCallToAsync("whatsapp:" + Customer);
        Assert.DoesNotContain(CallsTo(Customer), c => c["Body"] == "Appointment tomorrow at 9");
        Assert.Equal(["notification.skipped sms opted-out", "notification.attempt whatsapp sent"], await fx.NotificationStepsAsync(customerId));
    }

    [Fact]
    public async Task QuietHoursInTheCustomersTimeZoneHoldBackPhoneChannels()
    {
        // One customer with a phone number and a Telegram account (merged).
        var customerId = await SmsCustomerAsync();
        var telegram = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "424242", "tg-quiet"));
        await fx.App.Supervisor().PostJsonAsync($"/api/customers/{customerId}/merge", new { otherCustomerId = telegram.CustomerId }, HttpStatusCode.OK);

        // Quiet hours around the customer's present local time, in a zone other than the server's.
        const string zone = "Asia/Tokyo";
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(zone));
        var id = await fx.SendAsync(new
        {
            customerId,
            timeZone = zone,
            quietHours = new { start = local.AddHours(-1).ToString("HH:mm"), end = local.AddHours(1).ToString("HH:mm") },
            channels = new[] { "whatsapp", "sms", "telegram" },
            content = new
            {
                whatsapp = new { template = new { contentSid = Notify.Template } },
                sms = new { text = "Your table is ready" },
                telegram = new { text = "Your table is ready" },
            },
        });

        var sent = await fx.WaitAsync(id, n => n.Attempts().Count == 3, "Telegram is tried after the quiet phone channels");
        Assert.Equal(["quiet-hours", "quiet-hours"], sent.Attempts().Take(2).Select(a => a!["reason"]!.GetValue<string>()));
        Assert.Equal("telegram", sent.Attempts()[2]!["channel"]!.GetValue<string>());
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Telegram.Calls("/sendMessage").Count == 1), "the Telegram message is sent");
        Assert.Equal("Your table is ready", fx.Telegram.Calls("/sendMessage")[0].Body!["text"]!.GetValue<string>());
        Assert.Empty(fx.Twilio.Calls);
        Assert.Equal(["notification.skipped whatsapp quiet-hours", "notification.skipped sms quiet-hours", "notification.attempt telegram sent"],
            await fx.NotificationStepsAsync(customerId));
    }

    [Fact]
    public async Task WhatsAppTextOutsideTheWindowAndAMissingIdentityAreSkippedAndTheOutcomeIsFailed()
    {
        var customerId = await SmsCustomerAsync();
        fx.Twilio.Script.Enqueue(TwilioFake.Error(400, 21211, "The 'To' number is not a valid phone number."));
        var id = await fx.SendAsync(new
        {
            customerId,
            channels = new[] { "telegram", "whatsapp", "sms" },
            content = new { telegram = new { text = "hi" }, whatsapp = new { text = "free text" }, sms = new { text = "hi by sms" } },
        });

        var done = await fx.WaitAsync(id, n => n.Status() == "failed", "every channel is used up");
        Assert.Equal(["no-identity", "whatsapp-template-required"], done.Attempts().Take(2).Select(a => a!["reason"]!.GetValue<string>()));
        Assert.Equal("failed", done.Attempts()[2]!.Status());
        Assert.Equal("21211", done.Attempts()[2]!["reason"]!.GetValue<string>());
        var steps = await fx.NotificationStepsAsync(customerId);
        Assert.Equal("notification.outcome failed", steps[^1]);
    }

    [Fact]
    public async Task TheSameIdempotencyKeyTwiceSendsOneNotification()
    {
        var customerId = await SmsCustomerAsync();
        var request = WhatsAppThenSms(customerId, key: "order-A-1001-shipped");
        var first = await fx.SendAsync(request);
        var again = await fx.Integration().PostAsJsonAsync("/api/notifications", request, TestSupport.Json);
        var second = await again.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(first.ToString(), second["id"]!.GetValue<string>());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());

        await fx.WaitAsync(first, n => n.Attempts().Count == 1, "the one notification is sent");
        await OneCallToAsync("whatsapp:" + Customer);
        // The key with a different request is refused rather than silently answered with the first.
        var other = await fx.Integration().PostAsJsonAsync("/api/notifications", WhatsAppThenSms(customerId, "00:05:00", "order-A-1001-shipped"), TestSupport.Json);
        await other.ProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task AReplyOpensANormalConversationWithTheNotificationAsItsContext()
    {
        var customerId = await SmsCustomerAsync();
        var id = await fx.SendAsync(WhatsAppThenSms(customerId));
        var sent = await fx.WaitAsync(id, n => n.Attempts().Count == 1, "the WhatsApp template is sent");
        var conversationId = sent["conversationId"]!.GetValue<string>();

        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Where exactly is it?"));
        var conversation = await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}");
        Assert.Equal("notification", conversation["handoff"]!["trigger"]!.GetValue<string>());
        Assert.Equal(id.ToString(), conversation["handoff"]!["notification"]!["id"]!.GetValue<string>());
        // It routes like any other new conversation: into the channel's queue.
        await TestSupport.EventuallyAsync(async () =>
            (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}"))["queue"] is not null, "the reply is queued");
        var events = (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversationId}/events")).AsArray();
        Assert.Contains(events, e => e!["type"]!.GetValue<string>() == "message.received" && e["text"]!.GetValue<string>() == "Where exactly is it?");
    }
}
