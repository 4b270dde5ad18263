using ContactCenter.Tests.Operations;
using Microsoft.AspNetCore.Hosting;

namespace ContactCenter.Tests.Integrations;

/// <summary>The Email, Webhooks and Notifications options are checked at start-up, each refusal naming its key.</summary>
public class IntegrationStartupCheckTests(StartupCheckDatabase db) : IClassFixture<StartupCheckDatabase>
{
    private const string Box = "Email:Mailboxes:support";
    private static readonly string[] Sending = [$"{Box}:Address=support@example.test", $"{Box}:Smtp:Host=127.0.0.1"];

    public static TheoryData<string, string, string[]> BadConfigurations => new()
    {
        { $"{Box}:Smtp:Host=127.0.0.1", $"{Box}:Address: must be set", [] },
        { $"{Box}:Address=Support <support@example.test>", $"{Box}:Address: 'Support <support@example.test>' is not a plain email address", [$"{Box}:Smtp:Host=127.0.0.1"] },
        { "Email:Mailboxes:sales:Address=SUPPORT@example.test", "Email:Mailboxes:support:Address: 'support@example.test' is also the address of Email:Mailboxes:sales",
            ["Email:Mailboxes:sales:Smtp:Host=127.0.0.1", .. Sending] },
        { $"{Box}:Address=support@example.test", $"{Box}:Imap:Host: is missing and so is {Box}:Smtp:Host", [] },
        { $"{Box}:Imap:User=support@example.test", $"{Box}:Imap:Password: is missing while {Box}:Imap:User is set", [$"{Box}:Imap:Host=127.0.0.1", .. Sending] },
        { $"{Box}:Smtp:Port=70000", $"{Box}:Smtp:Port: must be a TCP port", Sending },
        { $"{Box}:Smtp:User=support", $"{Box}:Smtp:Password: is missing", Sending },
        { "Email:PollInterval=00:00:00", "Email:PollInterval: must be more than zero", [] },
        { "Email:MaxAttachmentBytes=0", "Email:MaxAttachmentBytes: must be more than zero", [] },
        { $"{Box}:Bot=no-such-flow", $"{Box}:Bot", Sending },
        { "Webhooks:RetryFor=00:00:00", "Webhooks:RetryFor: must be more than zero", [] },
        { "Webhooks:RetryMaxDelay=00:00:01", "Webhooks:RetryMaxDelay: must not be less than Webhooks:RetryBaseDelay", [] },
        { "Webhooks:Parallelism=0", "Webhooks:Parallelism: must be more than zero", [] },
        { "Webhooks:DisableAfter=-01:00:00", "Webhooks:DisableAfter: must be more than zero", [] },
        { "Notifications:DefaultTimeZone=Mars/Olympus_Mons", "Notifications:DefaultTimeZone: 'Mars/Olympus_Mons' is not a known time zone", [] },
        { "Notifications:QuietHoursStart=21:00", "Notifications:QuietHoursEnd: is missing while Notifications:QuietHoursStart is set", [] },
        { "Notifications:RatePerSecond:sms=0", "Notifications:RatePerSecond:sms: must be more than zero", [] },
        { "Notifications:Parallelism=0", "Notifications:Parallelism: must be more than zero", [] },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public void ABadConfigurationIsRefusedNamingItsKey(string setting, string expected, string[] alongside)
    {
        var failure = Start([setting, .. alongside]);
        Assert.NotNull(failure);
        Assert.Contains(expected, failure.ToString());
    }

    [Fact]
    public void AWellConfiguredMailboxAndIntegrationsStart()
    {
        // The same keys, set right, start: the refusals above are for the reasons they give.
        Assert.Null(Start([.. Sending, $"{Box}:Imap:Host=127.0.0.1", $"{Box}:Imap:User=support@example.test", $"{Box}:Imap:Password=secret",
            $"{Box}:Smtp:Port=2525", $"{Box}:Bot=messaging-bot", "Notifications:QuietHoursStart=21:00", "Notifications:QuietHoursEnd=08:00",
            "Notifications:DefaultTimeZone=Europe/Madrid", "Webhooks:RetryMaxDelay=00:10:00", "Email:Mailboxes:sales:Address=sales@example.test",
            "Email:Mailboxes:sales:Smtp:Host=127.0.0.1"]));
    }

    private Exception? Start(string[] settings)
    {
        var values = settings.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);
        using var app = new ContactCenterApp(db.ConnectionString, values);
        using var host = app.WithWebHostBuilder(b => b.UseEnvironment("Testing"));
        try
        {
            _ = host.Server;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
