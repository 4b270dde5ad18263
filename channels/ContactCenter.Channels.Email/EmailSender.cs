using System.Globalization;
using System.Net.Sockets;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ContactCenter.Channels.Email;

/// <summary>
/// Sends outbound messages as mail from the conversation's mailbox, threaded on the customer's last mail
/// (In-Reply-To, References, "Re:" subject with our token), with text and HTML parts. The Message-ID is
/// derived from the outbound message id, so every retry of one message carries the same Message-ID and a
/// duplicate (a send that timed out after the server took it) is recognisable as one message.
/// </summary>
public sealed class EmailSender(EmailStore store, IOptions<EmailOptions> options, TimeProvider clock) : IChannelSender
{
    private const string IdPrefix = "om.";

    public IReadOnlyCollection<Channel> Channels => [Channel.Email];

    /// <summary>Mail servers report no delivery; only a bounce says a mail did not arrive.</summary>
    public bool ReportsDelivery => false;

    public static string MessageIdFor(Guid outboundId, string mailboxAddress) =>
        $"{IdPrefix}{outboundId:N}@{mailboxAddress[(mailboxAddress.LastIndexOf('@') + 1)..]}";

    /// <summary>The outbound message a Message-ID of ours names, or null for anyone else's.</summary>
    public static Guid? OutboundIdOf(string messageId) =>
        messageId.StartsWith(IdPrefix, StringComparison.Ordinal) && messageId.IndexOf('@') is var at and > 0
        && Guid.TryParseExact(messageId[IdPrefix.Length..at], "N", out var id) ? id : null;

    public OutboundRefusal? Check(OutboundCheck check)
    {
        if (!options.Value.Mailboxes.Values.Any(m => m.Smtp.IsConfigured))
            return new OutboundRefusal("channel-unavailable", "Channel not configured", "No mailbox under Email:Mailboxes has an Smtp:Host.");
        if (check.Content.Template is not null)
            return Unsupported("Email has no message templates; send text.");
        if (check.Content.MediaUrls is { Count: > 0 })
            return Unsupported("Attachments on outgoing email are not supported yet; send a link in the text.");
        if (string.IsNullOrWhiteSpace(check.Content.Text))
            return Unsupported("An email needs text.");
        return null;
    }

    public async Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        // A conversation the company started without a mailbox (a notification) writes from the first that can send.
        var found = options.Value.ByAddress(delivery.From)
                    ?? options.Value.Mailboxes.Where(m => m.Value.Smtp.IsConfigured).Select(m => ((string, MailboxOptions)?)(m.Key, m.Value)).FirstOrDefault();
        if (found is not var (name, mailbox) || !mailbox.Smtp.IsConfigured)
            return new SendOutcome.Permanent("no-mailbox", "No mailbox with an SMTP server is configured for this conversation's address.");
        if (options.Value.IsOurs(delivery.To))
            return new SendOutcome.Permanent("own-address", "The conversation's address is one of our own mailboxes; it is never answered.");

        // The first mail of a thread the company starts with a subject of its own (a notification) names the thread.
        if (delivery.Content.Subject is { Length: > 0 } subject)
            await store.StartThreadAsync(delivery.ConversationId, name, subject, clock.GetUtcNow(), ct);
        var context = await store.ReplyContextAsync(delivery.ConversationId, ct);
        var messageId = MessageIdFor(delivery.MessageId, mailbox.Address);
        // Recorded before the attempt: an answer to this mail finds its conversation even if we never learn the outcome.
        await store.RecordOutboundAsync(messageId, delivery.ConversationId, name, context.Subject, context.References, clock.GetUtcNow(), ct);
        var message = Compose(delivery, mailbox, context, messageId);

        using var smtp = new SmtpClient { Timeout = (int)options.Value.CommandTimeout.TotalMilliseconds };
        try
        {
            await smtp.ConnectAsync(mailbox.Smtp.Host, mailbox.Smtp.Port, mailbox.Smtp.Security, ct);
            if (!string.IsNullOrEmpty(mailbox.Smtp.User))
                await smtp.AuthenticateAsync(mailbox.Smtp.User, mailbox.Smtp.Password ?? "", ct);
            await smtp.SendAsync(message, ct);
            await smtp.DisconnectAsync(quit: true, ct);
            return new SendOutcome.Accepted(messageId, DeliveryStatus.Sent);
        }
        catch (SmtpCommandException e)
        {
            // The server's own answer goes on the timeline: 4xx is "try again later", 5xx is final.
            var code = ((int)e.StatusCode).ToString(CultureInfo.InvariantCulture);
            var answer = $"The mail server answered {code}: {e.Message}";
            return (int)e.StatusCode is >= 400 and < 500
                ? new SendOutcome.Transient(code, answer)
                : new SendOutcome.Permanent(code, answer);
        }
        catch (AuthenticationException)
        {
            // Wrong credentials are an operator's fix: retried (with backoff) so mail flows once they are corrected.
            return new SendOutcome.Transient("auth", "The mail server refused the configured SMTP credentials.");
        }
        catch (Exception e) when (e is SmtpProtocolException or ServiceNotConnectedException or IOException or SocketException or SslHandshakeException)
        {
            return new SendOutcome.Transient("connection", "The mail server could not be reached or dropped the connection: " + e.GetType().Name);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new SendOutcome.Transient("timeout", "The mail server did not answer in time.");
        }
    }

    private MimeMessage Compose(OutboundDelivery delivery, MailboxOptions mailbox, ReplyContext context, string messageId)
    {
        var message = new MimeMessage
        {
            MessageId = messageId,
            // The first mail of an email an agent starts has no "Re:"; every answer does.
            Subject = context.LastMessageId is null ? $"{context.Subject} [#{context.Token}]" : $"Re: {context.Subject} [#{context.Token}]",
            Date = clock.GetUtcNow(),
        };
        message.From.Add(new MailboxAddress(mailbox.DisplayName, mailbox.Address));
        message.To.Add(MailboxAddress.Parse(delivery.To));
        if (context.LastMessageId is { } inReplyTo) message.InReplyTo = inReplyTo;
        foreach (var reference in context.References) message.References.Add(reference);
        // The bot's answers say they are automatic (RFC 3834), so the customer's auto-responder stays quiet.
        if (delivery.AuthorKind == AuthorKind.Bot) message.Headers.Add(HeaderId.AutoSubmitted, "auto-replied");
        var text = delivery.Content.Text ?? "";
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = MailText.ToHtml(text) }.ToMessageBody();
        return message;
    }

    private static OutboundRefusal Unsupported(string detail) => new("unsupported-content", "Not possible by email", detail);
}
