using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ContactCenter.Channels.Email;

/// <summary>Where a message sits in its mailbox: enough to set it aside once and to find it again.</summary>
public sealed record MailboxPosition(string Mailbox, MailboxOptions Options, long UidValidity, long Uid);

/// <summary>
/// Takes one received mail in: a person's mail becomes a <c>message.received</c> through the core inbox (deduped
/// on its Message-ID); a bounce of one of our replies fails that reply; everything else is kept aside with its
/// reason. Throws only when the database cannot be written, so the watcher retries the same message later.
/// </summary>
public sealed partial class MailImporter(
    Inbox inbox,
    EmailStore store,
    SetAsideStore setAside,
    OutboxDispatcher dispatcher,
    IOptions<EmailOptions> options,
    TimeProvider clock,
    ILogger<MailImporter> log)
{
    public const string Provider = "email";

    /// <summary>A message too big to download: kept aside from its size alone (it stays in the mailbox).</summary>
    public Task RejectOversizedAsync(MailboxPosition at, long size, string? messageId, string? sender, string? subject, CancellationToken ct) =>
        SetAsideAsync(at, SetAsideKind.Rejected, $"the message is {size} bytes, over the {options.Value.MaxAttachmentBytes}-byte attachment limit",
            messageId, sender, subject, size, null, ct);

    public Task RejectUnreadableAsync(MailboxPosition at, byte[] raw, string error, CancellationToken ct) =>
        SetAsideAsync(at, SetAsideKind.Rejected, $"the message could not be read ({error})", null, null, null, raw.Length, raw, ct);

    public async Task ImportAsync(MailboxPosition at, byte[] raw, CancellationToken ct)
    {
        MimeMessage message;
        try
        {
            message = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), ct);
        }
        catch (FormatException e)
        {
            await SetAsideAsync(at, SetAsideKind.Rejected, "malformed MIME: " + e.Message, null, null, null, raw.Length, raw, ct);
            return;
        }

        var sender = (message.From.Mailboxes.FirstOrDefault() ?? message.Sender)?.Address?.Trim();
        var messageId = string.IsNullOrWhiteSpace(message.MessageId)
            ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw))
            : message.MessageId.Trim();
        if (string.IsNullOrEmpty(sender) || !sender.Contains('@'))
        {
            await SetAsideAsync(at, SetAsideKind.Rejected, "no From address", messageId, null, message.Subject, raw.Length, raw, ct);
            return;
        }

        switch (MailKinds.Classify(message, sender, options.Value))
        {
            case MailKind.OwnAddress:
                await SetAsideAsync(at, SetAsideKind.Ignored, "from one of our own mailbox addresses", messageId, sender, message.Subject, raw.Length, raw, ct);
                return;
            case MailKind.Automatic automatic:
                await SetAsideAsync(at, SetAsideKind.Ignored, "automatic mail: " + automatic.Reason, messageId, sender, message.Subject, raw.Length, raw, ct);
                return;
            case MailKind.Bounce bounce:
                var failed = bounce.Failed ? await FailBouncedAsync(bounce, ct) : null;
                await SetAsideAsync(at, SetAsideKind.Ignored,
                    failed is null ? "a delivery status report" : $"a bounce of our message {failed}", messageId, sender, message.Subject, raw.Length, raw, ct);
                return;
        }

        if (Unreadable(message) is { } problem)
        {
            await SetAsideAsync(at, SetAsideKind.Rejected, problem, messageId, sender, message.Subject, raw.Length, raw, ct);
            return;
        }

        await ImportFromPersonAsync(at, message, messageId, sender, raw, ct);
    }

    private async Task ImportFromPersonAsync(MailboxPosition at, MimeMessage message, string messageId, string sender, byte[] raw, CancellationToken ct)
    {
        var references = message.References.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct().ToList();
        var referenced = (message.InReplyTo is { Length: > 0 } irt ? [irt.Trim()] : Array.Empty<string>())
            .Concat(Enumerable.Reverse(references)).Distinct().ToList();
        var thread = await store.FindThreadAsync(referenced, MailText.TokenIn(message.Subject), ct);

        var key = EmailStore.KeyOf(messageId);
        var attachments = Attachments(message);
        var (text, fromHtml) = VisibleText(message);
        var data = new JsonObject
        {
            ["subject"] = message.Subject,
            ["mailbox"] = at.Mailbox,
            ["messageId"] = messageId,
            ["from"] = sender.ToLowerInvariant(),
            ["original"] = $"/api/email/messages/{key}/original",
            ["fromHtml"] = fromHtml,
        };
        if (thread is { } t) data["thread"] = new JsonObject { ["conversationId"] = t.ConversationId.ToString(), ["by"] = t.By };
        var media = attachments.Select(a => new MediaReference($"/api/email/messages/{key}/attachments/{a.Ordinal}", a.ContentType)).ToList();
        if (attachments.Count > 0)
            data["attachments"] = new JsonArray(attachments.Select(a => (JsonNode)new JsonObject
            {
                ["url"] = $"/api/email/messages/{key}/attachments/{a.Ordinal}",
                ["fileName"] = a.FileName,
                ["contentType"] = a.ContentType,
                ["size"] = a.Content.Length,
                ["inline"] = a.Inline,
            }).ToArray());

        var inbound = new InboundEvent
        {
            Channel = Channel.Email,
            Address = sender,
            Provider = Provider,
            ProviderEventId = messageId,
            DedupeKey = "email:" + messageId,
            OccurredAt = message.Date == DateTimeOffset.MinValue || message.Date > clock.GetUtcNow() ? clock.GetUtcNow() : message.Date,
            Text = text,
            Media = media,
            Data = data,
            CompanyAddress = at.Options.Address,
            CustomerName = message.From.Mailboxes.FirstOrDefault()?.Name,
            // A mail of a known thread continues its conversation while it is open; any other mail is a thread of its own.
            ContinuesConversationId = thread?.ConversationId,
        };
        InboundResult result;
        try
        {
            result = await inbox.ReceiveAsync(inbound, ct);
        }
        catch (InvalidAddressException)
        {
            await SetAsideAsync(at, SetAsideKind.Rejected, "the From address is not a usable email address", messageId, sender, message.Subject, raw.Length, raw, ct);
            return;
        }

        // After the event: a crash before this line re-imports the mail, the inbox answers "duplicate", and this runs then.
        await store.RecordInboundAsync(messageId, result.ConversationId!.Value, at.Mailbox, message.Subject, references, raw, attachments,
            clock.GetUtcNow(), ct);
        if (!result.Duplicate) LogImported(at.Mailbox, at.Uid, result.EventId, thread?.By ?? "new");
    }

    /// <summary>Fails the reply a bounce names (our Message-IDs carry the outbound message's id).</summary>
    private async Task<Guid?> FailBouncedAsync(MailKind.Bounce bounce, CancellationToken ct)
    {
        foreach (var id in bounce.OriginalMessageIds)
        {
            if (EmailSender.OutboundIdOf(id) is not { } outboundId) continue;
            var update = await dispatcher.RecordStatusAsync(outboundId, DeliveryStatus.Failed, bounce.Status ?? "bounced",
                "The recipient's mail server bounced the message" + (bounce.Diagnostic is { } d ? ": " + d : "."), ct);
            if (update != StatusUpdate.NotFound) return outboundId;
        }

        return null;
    }

    /// <summary>Why the mail cannot be taken in as it is, or null.</summary>
    private string? Unreadable(MimeMessage message)
    {
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            if (part is TextPart { ContentType: { Charset: { Length: > 0 } charset } contentType } && !KnownCharset(contentType))
                return $"unknown charset '{(charset.Length > 40 ? charset[..40] : charset)}'";
            if (part is not TextPart || part.IsAttachment)
            {
                var size = part.Content?.Stream is { CanSeek: true } s ? s.Length * 3 / 4 : 0;
                if (size > options.Value.MaxAttachmentBytes)
                    return $"an attachment of about {size} bytes is over the {options.Value.MaxAttachmentBytes}-byte limit";
            }
        }

        return null;
    }

    // MimeKit answers null for a charset it cannot map to an encoding (it would guess one while decoding).
    private static bool KnownCharset(ContentType contentType) => contentType.CharsetEncoding is not null;

    private static (string Text, bool FromHtml) VisibleText(MimeMessage message)
    {
        if (message.TextBody is { } plain && !string.IsNullOrWhiteSpace(plain)) return (MailText.NewPart(plain), false);
        if (message.HtmlBody is { } html) return (MailText.NewPart(MailText.FromHtml(html)), true);
        return ("", false);
    }

    private static List<StoredAttachment> Attachments(MimeMessage message)
    {
        var list = new List<StoredAttachment>();
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            // The text and HTML bodies are the message itself; everything else (files, inline images) is kept.
            if (part is TextPart && !part.IsAttachment) continue;
            using var content = new MemoryStream();
            part.Content?.DecodeTo(content);
            list.Add(new StoredAttachment(list.Count, part.FileName, part.ContentType.MimeType, part.ContentId,
                !part.IsAttachment, content.ToArray()));
        }

        return list;
    }

    private async Task SetAsideAsync(MailboxPosition at, string kind, string reason, string? messageId, string? sender, string? subject,
        long? size, byte[]? raw, CancellationToken ct)
    {
        // The raw mail is kept when it is of a size a database row takes comfortably; it also stays in the mailbox.
        var keep = raw is not null && raw.Length <= options.Value.MaxAttachmentBytes * 2 ? raw : null;
        await setAside.AddAsync(at.Mailbox, at.UidValidity, at.Uid, kind, reason, messageId, sender?.ToLowerInvariant(), subject, size, keep,
            clock.GetUtcNow(), ct);
        LogSetAside(at.Mailbox, at.Uid, kind, reason.Length > 80 ? reason[..80] : reason);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mailbox {Mailbox}: UID {Uid} stored as event {EventId} (thread: {Thread})")]
    private partial void LogImported(string mailbox, long uid, long eventId, string thread);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {Mailbox}: UID {Uid} kept aside as {Kind}: {Reason}")]
    private partial void LogSetAside(string mailbox, long uid, string kind, string reason);
}
