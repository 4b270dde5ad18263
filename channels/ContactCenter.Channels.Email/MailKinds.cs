using MimeKit;

namespace ContactCenter.Channels.Email;

/// <summary>What a received mail is, before anything is stored: only a person's mail opens a conversation.</summary>
internal abstract record MailKind
{
    public sealed record FromPerson : MailKind;

    /// <summary>Auto-replies, out-of-office answers, bulk and list mail: kept aside, never answered.</summary>
    public sealed record Automatic(string Reason) : MailKind;

    /// <summary>A delivery status report. <paramref name="OriginalMessageIds"/> name the mail that bounced.</summary>
    public sealed record Bounce(bool Failed, IReadOnlyList<string> OriginalMessageIds, string? Status, string? Diagnostic) : MailKind;

    public sealed record OwnAddress : MailKind;
}

internal static class MailKinds
{
    public static MailKind Classify(MimeMessage message, string sender, EmailOptions options)
    {
        if (options.IsOurs(sender)) return new MailKind.OwnAddress();
        if (BounceOf(message, sender) is { } bounce) return bounce;

        // RFC 3834: anything but "no" is machine-made (auto-replied, auto-generated, auto-notified).
        var autoSubmitted = message.Headers[HeaderId.AutoSubmitted]?.Trim();
        if (!string.IsNullOrEmpty(autoSubmitted) && !autoSubmitted.StartsWith("no", StringComparison.OrdinalIgnoreCase))
            return new MailKind.Automatic($"Auto-Submitted: {Short(autoSubmitted)?.Split(';')[0]}");
        if (message.Headers.Contains("X-Autoreply") || message.Headers.Contains("X-Autorespond"))
            return new MailKind.Automatic("an auto-reply (X-Autoreply)");
        var precedence = message.Headers["Precedence"]?.Trim().ToLowerInvariant();
        if (precedence is "bulk" or "junk" or "list" or "auto_reply")
            return new MailKind.Automatic($"Precedence: {precedence}");
        if (message.Headers.Contains(HeaderId.ListId) || message.Headers.Contains(HeaderId.ListUnsubscribe))
            return new MailKind.Automatic("mailing-list or bulk mail (List-Id / List-Unsubscribe)");
        // A null envelope sender means "do not answer" (bounces and other notifications use it).
        if (message.Headers[HeaderId.ReturnPath]?.Trim() == "<>")
            return new MailKind.Automatic("a notification with a null sender (Return-Path: <>)");
        return new MailKind.FromPerson();
    }

    private static MailKind.Bounce? BounceOf(MimeMessage message, string sender)
    {
        var report = message.BodyParts.OfType<MessageDeliveryStatus>().FirstOrDefault();
        var isReport = message.Body is MultipartReport { ReportType: var type } && "delivery-status".Equals(type, StringComparison.OrdinalIgnoreCase);
        var local = sender.Split('@')[0];
        var fromDaemon = local.Equals("mailer-daemon", StringComparison.OrdinalIgnoreCase) || local.Equals("postmaster", StringComparison.OrdinalIgnoreCase);
        if (!isReport && report is null && !fromDaemon) return null;

        string? status = null, diagnostic = null, action = null;
        if (report is not null)
        {
            // The first group is about the message; the others, one per recipient.
            foreach (var group in report.StatusGroups.Skip(1))
            {
                action ??= group["Action"];
                status ??= group["Status"];
                diagnostic ??= group["Diagnostic-Code"];
            }
        }

        var originals = new List<string>();
        foreach (var part in message.BodyParts.OfType<MessagePart>())
            if (part.Message?.MessageId is { Length: > 0 } id) originals.Add(id);
        originals.AddRange(message.References.Reverse());
        if (message.InReplyTo is { Length: > 0 } inReplyTo) originals.Insert(0, inReplyTo);

        // "delayed" and "delivered" reports are news, not failures; a daemon's free-form bounce is a failure.
        var failed = action is null
            ? status is null || status.StartsWith('5') || fromDaemon
            : action.Trim().Equals("failed", StringComparison.OrdinalIgnoreCase);
        return new MailKind.Bounce(failed, originals.Distinct().ToList(), status?.Trim(), Short(diagnostic));
    }

    private static string? Short(string? text) => text is null ? null : text.Length > 300 ? text[..300] : text.Trim();
}
