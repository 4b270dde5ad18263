using ContactCenter.Channels.Email;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Notifications;
using ContactCenter.Core.Webhooks;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ContactCenter.Server.Hosting.Checks;

/// <summary>
/// <c>Email:*</c>: every mailbox has a usable address of its own and at least one server; user and password go
/// together; ports are ports. (A mailbox's <c>Bot</c> is checked with the flows, when they are loaded.)
/// </summary>
internal sealed class EmailChecks : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions o)
    {
        var errors = new KeyErrors()
            .Positive("Email:PollInterval", o.PollInterval)
            .Positive("Email:IdleRefresh", o.IdleRefresh)
            .Positive("Email:CommandTimeout", o.CommandTimeout)
            .Positive("Email:BatchSize", o.BatchSize);
        if (o.MaxAttachmentBytes <= 0) errors.Add("Email:MaxAttachmentBytes", $"must be more than zero (is {o.MaxAttachmentBytes}).");
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (mailbox, m) in o.Mailboxes)
        {
            var key = $"Email:Mailboxes:{mailbox}";
            if (string.IsNullOrWhiteSpace(m.Address))
                errors.Add($"{key}:Address", "must be set: the support address customers write to and replies come from.");
            else if (!MailboxAddress.TryParse(m.Address.Trim(), out var parsed) || parsed.Address != m.Address.Trim() || !m.Address.Contains('@'))
                errors.Add($"{key}:Address", $"'{m.Address}' is not a plain email address (name@domain; the display name goes in {key}:DisplayName).");
            else if (seen.TryGetValue(m.Address.Trim(), out var other))
                errors.Add($"{key}:Address", $"'{m.Address}' is also the address of Email:Mailboxes:{other}: one mailbox per address.");
            else
                seen[m.Address.Trim()] = mailbox;
            if (!m.Imap.IsConfigured && !m.Smtp.IsConfigured)
                errors.Add($"{key}:Imap:Host", $"is missing and so is {key}:Smtp:Host: the mailbox can neither be watched nor send.");
            Server(errors, $"{key}:Imap", m.Imap);
            Server(errors, $"{key}:Smtp", m.Smtp);
        }

        return errors.Result;
    }

    private static void Server(KeyErrors errors, string key, MailServerOptions server)
    {
        if (server.Port is < 0 or > 65535) errors.Add($"{key}:Port", $"must be a TCP port, 1 to 65535 (is {server.Port}; 0 takes the default).");
        errors.Together("the server is signed in to with both", ($"{key}:User", server.User), ($"{key}:Password", server.Password));
        if (!server.IsConfigured && !string.IsNullOrWhiteSpace(server.User))
            errors.Add($"{key}:Host", $"is missing while {key}:User is set.");
    }
}

/// <summary><c>Webhooks:*</c>: positive windows and delays, and a backoff whose ceiling is not below its start.</summary>
internal sealed class WebhookChecks : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions o)
    {
        var errors = new KeyErrors()
            .Positive("Webhooks:RetryFor", o.RetryFor)
            .Positive("Webhooks:DisableAfter", o.DisableAfter)
            .Positive("Webhooks:Timeout", o.Timeout)
            .Positive("Webhooks:RetryBaseDelay", o.RetryBaseDelay)
            .Positive("Webhooks:RetryMaxDelay", o.RetryMaxDelay)
            .Positive("Webhooks:PollInterval", o.PollInterval)
            .Positive("Webhooks:Parallelism", o.Parallelism);
        if (o.RetryMaxDelay < o.RetryBaseDelay)
            errors.Add("Webhooks:RetryMaxDelay", $"must not be less than Webhooks:RetryBaseDelay ({o.RetryBaseDelay}).");
        return errors.Result;
    }
}

/// <summary><c>Notifications:*</c>: a known default time zone, quiet hours with both ends, positive rates and intervals.</summary>
internal sealed class NotificationChecks : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions o)
    {
        var errors = new KeyErrors()
            .Positive("Notifications:PollInterval", o.PollInterval)
            .Positive("Notifications:Parallelism", o.Parallelism)
            .Positive("Notifications:Lease", o.Lease);
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(o.DefaultTimeZone ?? "", out _))
            errors.Add("Notifications:DefaultTimeZone", $"'{o.DefaultTimeZone}' is not a known time zone (an IANA id such as Europe/Madrid).");
        errors.Together("quiet hours need a start and an end", ("Notifications:QuietHoursStart", o.QuietHoursStart?.ToString()),
            ("Notifications:QuietHoursEnd", o.QuietHoursEnd?.ToString()));
        foreach (var (channel, rate) in o.RatePerSecond)
        {
            if (rate <= 0) errors.Add($"Notifications:RatePerSecond:{channel.ToName()}", $"must be more than zero (is {rate}).");
        }

        return errors.Result;
    }
}
