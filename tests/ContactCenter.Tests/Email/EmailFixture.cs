using System.Text.Json.Nodes;
using MimeKit;
using Npgsql;

namespace ContactCenter.Tests.Email;

/// <summary>
/// The service with one support mailbox on a real dovecot (IMAP) and a real SMTP server in process. A second
/// mailbox, <c>burst</c>, exists on the server but only hosts a test builds itself (<see cref="HostWithBurst"/>) watch it.
/// </summary>
public class EmailFixture : AppFixture
{
    public const string Support = "support@example.test";
    public const string Burst = "burst@example.test";
    public const string Password = "imap-secret";
    public const int MaxAttachmentBytes = 200_000;

    public DovecotServer Imap { get; private set; } = null!;

    /// <summary>The accounts the IMAP server has (each with <see cref="Password"/>).</summary>
    protected virtual IEnumerable<string> Accounts => [Support, Burst];
    public SmtpSink Smtp { get; } = new();

    public override async Task InitializeAsync()
    {
        Imap = await DovecotServer.StartAsync(Accounts.ToDictionary(a => a, _ => Password));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Imap.DisposeAsync();
        await Smtp.DisposeAsync();
    }

    protected override IReadOnlyDictionary<string, string?> Settings => Mailbox("support", Support, extra: new()
    {
        ["Email:PollInterval"] = "00:00:00.200",
        ["Email:MaxAttachmentBytes"] = MaxAttachmentBytes.ToString(),
        ["Outbox:MaxAttempts"] = "4",
        ["Outbox:RetryBaseDelay"] = "00:00:00.100",
        ["Routing:Channels:email:AutoQueue"] = "true",
        ["Email:Mailboxes:support:Queue"] = "email-support",
    });

    public Dictionary<string, string?> Mailbox(string name, string address, Dictionary<string, string?>? extra = null)
    {
        var settings = extra ?? new Dictionary<string, string?>();
        settings[$"Email:Mailboxes:{name}:Address"] = address;
        settings[$"Email:Mailboxes:{name}:Imap:Host"] = Imap.Host;
        settings[$"Email:Mailboxes:{name}:Imap:Port"] = Imap.Port.ToString();
        settings[$"Email:Mailboxes:{name}:Imap:Security"] = "None";
        settings[$"Email:Mailboxes:{name}:Imap:User"] = address;
        settings[$"Email:Mailboxes:{name}:Imap:Password"] = Password;
        settings[$"Email:Mailboxes:{name}:Smtp:Host"] = "127.0.0.1";
        settings[$"Email:Mailboxes:{name}:Smtp:Port"] = Smtp.Port.ToString();
        settings[$"Email:Mailboxes:{name}:Smtp:Security"] = "None";
        return settings;
    }

    /// <summary>Another instance of the service on this fixture's database that watches the <c>burst</c> mailbox.</summary>
    public ContactCenterApp HostWithBurst() => new(ConnectionString, Mailbox("burst", Burst, new() { ["Email:PollInterval"] = "00:00:00.200" }));

    /// <summary>Before each test: an empty mailbox, then empty tables (in that order, so nothing old is read again).</summary>
    public async Task ResetMailAsync()
    {
        await Imap.ClearAsync(Support, Password);
        await ResetAsync();
        Smtp.Reset();
    }

    public Task DeliverAsync(params MimeMessage[] messages) => Imap.DeliverAsync(Support, Password, messages);
}

public static class Mail
{
    private static int _counter;

    public static MimeMessage From(string from, string subject, string text, string? messageId = null, string to = EmailFixture.Support)
    {
        var message = new MimeMessage { Subject = subject, MessageId = messageId ?? NewId(), Date = DateTimeOffset.UtcNow };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    public static MimeMessage Html(string from, string subject, string html)
    {
        var message = From(from, subject, "");
        message.Body = new TextPart("html") { Text = html };
        return message;
    }

    public static string NewId() => $"m{Interlocked.Increment(ref _counter)}.{Guid.NewGuid():N}@customer.test";

    /// <summary>The customer's timeline, oldest first, once the customer exists.</summary>
    public static async Task<(string CustomerId, List<JsonNode> Events)> TimelineAsync(this ContactCenterApp app, string address)
    {
        var agent = app.Agent();
        JsonNode? customer = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            var response = await agent.GetAsync($"/api/customers?channel=email&address={Uri.EscapeDataString(address)}");
            if (!response.IsSuccessStatusCode) return false;
            customer = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            return true;
        }, $"a customer with email {address} exists");
        var id = customer!["id"]!.GetValue<string>();
        var page = await agent.GetJsonAsync($"/api/customers/{id}/timeline?limit=200");
        return (id, page["events"]!.AsArray().Select(e => e!).Reverse().ToList());
    }

    public static async Task<long> CountAsync(this NpgsqlDataSource db, string sql, params object[] args)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg });
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
