using Microsoft.AspNetCore.Hosting;

namespace ContactCenter.Tests.Operations;

/// <summary>One database for every attempt to start; the service refuses before it does anything with it.</summary>
public sealed class StartupCheckDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await TestPostgres.CreateDatabaseAsync(nameof(StartupCheckTests));

    public Task DisposeAsync() => TestPostgres.DropDatabaseAsync(ConnectionString);
}

/// <summary>A service that cannot work refuses to start, and the refusal names the configuration key at fault.</summary>
public class StartupCheckTests(StartupCheckDatabase db) : IClassFixture<StartupCheckDatabase>
{
    public static TheoryData<string, string, string[]> BadConfigurations => new()
    {
        { "Telegram:BotToken=123456:token-only", "Telegram:WebhookSecret: is missing while Telegram:BotToken is set", [] },
        { "Telegram:WebhookSecret=has spaces!", "Telegram:WebhookSecret: must be 1–256 of", ["Telegram:BotToken=123456:token"] },
        { "Meta:AppSecret=app-secret-only", "Meta:VerifyToken: is missing while Meta:AppSecret is set", [] },
        { "Meta:PageAccessToken=page-token-only", "Meta:AppSecret: is missing while Meta:PageAccessToken is set", [] },
        { "Twilio:AccountSid=AC0123", "Twilio:AuthToken: is missing while Twilio:AccountSid is set", [] },
        { "Twilio:RequestTimeout=00:00:00", "Twilio:RequestTimeout: must be more than zero", [] },
        { "Twilio:PublicBaseUrl=contact.example.com", "Twilio:PublicBaseUrl: must be an absolute http or https URL", [] },
        { "Twilio:Voice:AgentRingTimeout=-00:00:05", "Twilio:Voice:AgentRingTimeout: must be more than zero", [] },
        { "Work:PollInterval=00:00:00", "Work:PollInterval: The field WorkOptions.PollInterval must be between", [] },
        { "Work:Parallelism=0", "Work:Parallelism: The field WorkOptions.Parallelism must be between 1 and 1024", [] },
        { "Outbox:MaxAttempts=0", "Outbox:MaxAttempts: The field OutboxOptions.MaxAttempts must be between 1 and 100", [] },
        { "Jobs:WorkerCount=0", "Jobs:WorkerCount: The field JobsOptions.WorkerCount must be between 1 and 1000", [] },
        { "Sla:Targets:smss:FirstResponse=00:05:00", "Sla:Targets:smss: 'smss' is not a channel", [] },
        { "Sla:Targets:sms:FirstResponse=-00:05:00", "Sla:Targets:sms:FirstResponse: must be more than zero", [] },
        { "Sla:WarningAt=1.5", "Sla:WarningAt: must be a share between 0 and 1", [] },
        { "Sla:PollInterval=00:00:00", "Sla:PollInterval: must be more than zero", [] },
        { "Routing:Channels:fax:Queue=general", "Routing:Channels:fax: 'fax' is not a channel", [] },
        { "Routing:SweepInterval=00:00:00", "Routing:SweepInterval: must be more than zero", [] },
        { "Flows:Bots:voice=messaging-bot", "Flows:Bots:voice", [] },
        { "Bot:QueueTimeouts:support=00:00:00", "Bot:QueueTimeouts:support: must be more than zero", [] },
        { "Addresses:DefaultRegion=XX", "Addresses:DefaultRegion: 'XX' is not an ISO 3166 region code", [] },
        { "Flows:Endpoints:orders:BaseUrl=orders.internal", "Flows:Endpoints:orders:BaseUrl: must be an absolute http or https URL", [] },
        { "Metrics:Prometheus:Enabled=true", "Metrics:Prometheus:Key: must be set to at least 16 characters", [] },
        { "OpenTelemetry:Endpoint=otel-collector:4317", "OpenTelemetry:Endpoint: must be an absolute URL", [] },
        { "Routing:StrictQueues=true", "'nowhere' named by Routing:Channels:sms:Queue", ["Routing:Channels:sms:Queue=nowhere"] },
        { "Webchat:Widgets:site:Bot=no-such-flow", "Webchat:Widgets:site:Bot", ["Webchat:Widgets:site:Origins:0=https://www.example.com"] },
        { "Webchat:Widgets:site:ReplyMailbox=nope", "Webchat:Widgets:site:ReplyMailbox: 'nope' is not a mailbox under Email:Mailboxes with an Smtp:Host",
            ["Webchat:Widgets:site:Origins:0=https://www.example.com"] },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public void ABadConfigurationIsRefusedNamingItsKey(string setting, string expected, string[] alongside)
    {
        var failure = Start("Testing", [setting, .. alongside]);
        Assert.NotNull(failure);
        Assert.Contains(expected, failure.ToString());
    }

    [Fact]
    public void InProductionTwilioMustBeReachedOverHttps()
    {
        string[] twilio = ["Twilio:AccountSid=AC0123456789abcdef0123456789abcdef", "Twilio:AuthToken=prod-auth-token-0123"];
        var plain = Start("Production", [.. twilio, "Twilio:PublicBaseUrl=http://contact.example.com"]);
        Assert.Contains("Twilio:PublicBaseUrl: must be an https URL (is 'http://contact.example.com')", plain?.ToString());
        var missing = Start("Production", twilio);
        Assert.Contains("Twilio:PublicBaseUrl: must be set to an absolute https URL", missing?.ToString());
        // The secret itself is never quoted.
        Assert.DoesNotContain("prod-auth-token-0123", plain!.ToString());

        // The same service with an https URL starts (so the checks above refuse for the reason they say).
        Assert.Null(Start("Production", [.. twilio, "Twilio:PublicBaseUrl=https://contact.example.com"]));
        // Outside Production a plain-http tunnel (ngrok, localhost) is allowed.
        Assert.Null(Start("Development", [.. twilio, "Twilio:PublicBaseUrl=http://localhost:5080"]));
    }

    [Fact]
    public void AQueueNobodyConfiguredIsOnlyAWarningUnlessStrict()
    {
        Assert.Null(Start("Testing", ["Routing:Channels:sms:Queue=nowhere"]));
        var strict = Start("Testing", ["Routing:Channels:sms:Queue=nowhere", "Routing:StrictQueues=true"]);
        Assert.Contains("Routing:StrictQueues is on", strict?.ToString());
        // Queues the shipped flows name that nobody configured are listed with the flow file and line.
        Assert.Matches(@"'billing' named by flow '[a-z-]+' \(flows/[a-z-]+\.yaml:\d+, node '[^']+'\)", strict!.ToString());
        var named = System.Text.RegularExpressions.Regex.Matches(strict.ToString(), "'([^']+)' named by").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("nowhere", named);
        // Every named queue configured: the strict service starts.
        Assert.Null(Start("Testing", ["Routing:Channels:sms:Queue=nowhere", "Routing:StrictQueues=true",
            .. named.Select(q => $"Routing:Queues:{q}:Priority=0")]));
    }

    /// <summary>Starts the service with the settings; the exception that stopped it, or null when it started.</summary>
    private Exception? Start(string environment, string[] settings)
    {
        var values = settings.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);
        using var app = new ContactCenterApp(db.ConnectionString, values);
        using var host = app.WithWebHostBuilder(b => b.UseEnvironment(environment));
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
