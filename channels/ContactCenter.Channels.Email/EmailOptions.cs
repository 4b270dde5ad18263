using MailKit.Security;

namespace ContactCenter.Channels.Email;

/// <summary>Configuration under <c>Email</c>: the support mailboxes and how they are watched.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary>By name (used in logs, the watcher's position and the admin API).</summary>
    public Dictionary<string, MailboxOptions> Mailboxes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How often a mailbox is checked when its server offers no IDLE (and how soon a failed watcher retries).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>IDLE is renewed this often: servers drop idle connections after about 30 minutes (RFC 2177).</summary>
    public TimeSpan IdleRefresh { get; set; } = TimeSpan.FromMinutes(9);

    /// <summary>The largest attachment taken in; a message carrying a bigger one is kept aside.</summary>
    public long MaxAttachmentBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>One SMTP or IMAP command may take this long before the attempt counts as timed out.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Messages fetched per round; the position is stored after each message.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>The mailbox whose address is <paramref name="address"/> (case-insensitive).</summary>
    public (string Name, MailboxOptions Mailbox)? ByAddress(string? address)
    {
        if (string.IsNullOrWhiteSpace(address)) return null;
        foreach (var (name, mailbox) in Mailboxes)
            if (string.Equals(mailbox.Address, address.Trim(), StringComparison.OrdinalIgnoreCase)) return (name, mailbox);
        return null;
    }

    public bool IsOurs(string? address) => ByAddress(address) is not null;
}

public sealed class MailboxOptions
{
    /// <summary>The support address customers write to; replies go out from it.</summary>
    public string Address { get; set; } = "";
    /// <summary>The name shown beside the address on replies.</summary>
    public string? DisplayName { get; set; }
    public MailServerOptions Imap { get; set; } = new();
    public MailServerOptions Smtp { get; set; } = new();
    /// <summary>The IMAP folder watched.</summary>
    public string Folder { get; set; } = "INBOX";
    /// <summary>New conversations from this mailbox wait in this queue (else the channel's default queue).</summary>
    public string? Queue { get; set; }
    /// <summary>The bot flow serving this mailbox's new conversations (instead of <c>Flows:Bots:email</c>, which serves
    /// the mailboxes without one).</summary>
    public string? Bot { get; set; }
}

public sealed class MailServerOptions
{
    public string Host { get; set; } = "";
    public int Port { get; set; }
    /// <summary><c>Auto</c>, <c>None</c>, <c>StartTls</c>, <c>StartTlsWhenAvailable</c> or <c>SslOnConnect</c>.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;
    public string? User { get; set; }
    public string? Password { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);
}
