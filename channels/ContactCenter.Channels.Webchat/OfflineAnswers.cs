using ContactCenter.Channels.Email;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Channels.Webchat;

/// <summary>
/// A visitor who left a message through the offline form gave an e-mail address for the answer: an agent's answer
/// on that conversation goes there by e-mail, through the email channel's sender, unless the visitor is on the widget
/// when it is sent (then the chat shows it, as it always does). It stays one message of the web chat conversation:
/// the mail's outcome is its status on the timeline (sent, or failed with the mail server's answer or a bounce).
/// </summary>
public sealed class OfflineAnswers(
    NpgsqlDataSource db,
    VisitorsOnPage onPage,
    IOptions<EmailOptions> mail,
    IOptionsMonitor<WebchatOptions> options,
    IOptions<RoutingOptions> routing)
{
    /// <summary>The subject of the first answer (a thread's later mails keep it, with our token).</summary>
    public const string Subject = "Our answer to your message";

    /// <summary>The e-mail this delivery is to be sent as (to the address the visitor left, from a mailbox), or null when
    /// the chat alone delivers it.</summary>
    public async Task<OutboundDelivery?> ByEmailAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        if (delivery.AuthorKind != AuthorKind.Agent) return null;
        string? replyTo, queue;
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var command = connection.Sql("""
            select (select data ->> 'replyTo' from timeline_events
                    where conversation_id = c.id and type = 'message.received' and data ->> 'offline' = 'true' order by id desc limit 1),
                   c.queue
            from conversations c where c.id = $1
            """, delivery.ConversationId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            replyTo = reader.Nullable<string>(0);
            queue = reader.Nullable<string>(1);
        }

        if (replyTo is null || await onPage.IsOnPageAsync(delivery.To, ct)) return null;
        if (Mailbox(delivery.From, queue) is not { } mailbox) return null;
        return delivery with
        {
            Channel = Channel.Email,
            To = replyTo,
            From = mailbox.Address,
            Content = delivery.Content with { Subject = delivery.Content.Subject ?? Subject },
        };
    }

    /// <summary>The widget's <c>ReplyMailbox</c>, else the mailbox of the conversation's queue (or the widget's), else the
    /// first that can send; null when no mailbox has an SMTP server.</summary>
    private MailboxOptions? Mailbox(string? widgetId, string? conversationQueue)
    {
        var sending = mail.Value.Mailboxes.Where(m => m.Value.Smtp.IsConfigured).ToList();
        var widget = options.CurrentValue.Widget(widgetId);
        if (widget?.ReplyMailbox is { Length: > 0 } named)
            return sending.FirstOrDefault(m => string.Equals(m.Key, named, StringComparison.OrdinalIgnoreCase)).Value;
        var queue = conversationQueue ?? widget?.Queue ?? routing.Value.QueueFor(Channel.Webchat);
        return sending.FirstOrDefault(m => string.Equals(m.Value.Queue, queue, StringComparison.OrdinalIgnoreCase)).Value
               ?? sending.FirstOrDefault().Value;
    }
}
