using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Email;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Integrations;

/// <summary>Notifications with a sending mailbox on a real SMTP server (in process), beside the Twilio fakes.</summary>
public sealed class EmailNotificationFixture : NotificationFixture
{
    public const string Mailbox = "notify@example.test";

    public SmtpSink Smtp { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?>
    {
        // Sending only: no IMAP host, so nothing watches it.
        ["Email:Mailboxes:notify:Address"] = Mailbox,
        ["Email:Mailboxes:notify:DisplayName"] = "Northwind",
        ["Email:Mailboxes:notify:Smtp:Host"] = "127.0.0.1",
        ["Email:Mailboxes:notify:Smtp:Port"] = Smtp.Port.ToString(),
        ["Email:Mailboxes:notify:Smtp:Security"] = "None",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

public class EmailNotificationTests(EmailNotificationFixture fx) : IClassFixture<EmailNotificationFixture>, IAsyncLifetime
{
    private const string Customer = TwilioRequests.Customer;
    private const string Address = "pat.reyes@customer.test";

    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
        fx.Smtp.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A customer known by SMS whose email address an agent recorded.</summary>
    private async Task<Guid> CustomerWithEmailAsync()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hello"));
        var id = Guid.Parse((await fx.CustomerAsync("sms", Customer))["id"]!.GetValue<string>());
        var patched = await fx.App.Agent().PatchAsJsonAsync($"/api/customers/{id}", new { email = Address }, TestSupport.Json);
        await patched.ReadJsonAsync(HttpStatusCode.OK);
        return id;
    }

    private static object EmailThenSms(Guid customerId, string fallbackAfter) => new
    {
        customerId,
        channels = new[] { "email", "sms" },
        content = new
        {
            email = new { subject = "Your order A-1001 has shipped", text = "Hello Pat,\n\nyour order A-1001 is on its way." },
            sms = new { text = "Your order A-1001 has shipped." },
        },
        fallbackAfter,
    };

    [Fact]
    public async Task AnEmailNotificationGoesOutByMailAndCountsAsDeliveredWhenNothingBouncesInTheWindow()
    {
        var customerId = await CustomerWithEmailAsync();
        // A window long enough for the send itself on a loaded machine; what is asserted is what happens when it closes.
        var id = await fx.SendAsync(EmailThenSms(customerId, "00:00:06"));

        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Smtp.Messages.Count == 1), "the mail reached the SMTP server");
        var mail = fx.Smtp.Messages.Single();
        Assert.Equal([Address], mail.To);
        Assert.Equal(EmailNotificationFixture.Mailbox, mail.Message.From.Mailboxes.Single().Address);
        Assert.Matches(@"^Your order A-1001 has shipped \[#[0-9a-f]{12}\]$", mail.Message.Subject);
        Assert.Null(mail.Message.InReplyTo);
        Assert.Contains("your order A-1001 is on its way.", mail.Message.TextBody);

        // Mail servers report no delivery: no bounce within fallbackAfter is as delivered as email gets, and SMS is not tried.
        var done = await fx.WaitAsync(id, n => n.Status() == "delivered", "the email counts as delivered", TimeSpan.FromSeconds(30));
        var attempt = Assert.Single(done.Attempts())!;
        Assert.Equal("email", attempt["channel"]!.GetValue<string>());
        Assert.Equal("delivered", attempt.Status());
        Assert.DoesNotContain(fx.Twilio.Calls, c => c["To"] == Customer);
        Assert.Equal(["notification.attempt email sent", "notification.outcome email delivered"], await fx.NotificationStepsAsync(customerId));
    }

    [Fact]
    public async Task AMailServerRefusalFallsBackToTheNextChannel()
    {
        var customerId = await CustomerWithEmailAsync();
        fx.Smtp.AnswerNext(550, "5.1.1 <pat.reyes@customer.test>: mailbox unavailable");
        var id = await fx.SendAsync(EmailThenSms(customerId, "00:10:00"));

        var fellBack = await fx.WaitAsync(id, n => n.Attempts().Count == 2, "the SMS fallback is sent");
        Assert.Equal(["email", "sms"], fellBack.Attempts().Select(a => a!["channel"]!.GetValue<string>()));
        Assert.Equal("failed", fellBack.Attempts()[0]!.Status());
        Assert.Equal("550", fellBack.Attempts()[0]!["reason"]!.GetValue<string>());
        Assert.Empty(fx.Smtp.Messages);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Any(c => c["To"] == Customer)), "Twilio is called for the SMS");
        Assert.Equal("Your order A-1001 has shipped.", fx.Twilio.Calls.Single(c => c["To"] == Customer)["Body"]);
        Assert.Equal(["notification.attempt email sent", "notification.attempt email failed", "notification.attempt sms sent"],
            await fx.NotificationStepsAsync(customerId));
    }
}
