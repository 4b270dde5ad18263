using ContactCenter.Channels.Email;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;

namespace ContactCenter.Channels.Webchat;

/// <summary>
/// Web chat has no provider: a message is delivered by being stored. Its <c>message.sent</c> (or <c>bot.reply</c>)
/// event wakes the visitor's live connection on whichever instance holds it, and a visitor who is away reads it
/// when they come back. The status moves on to <c>read</c> when the widget shows it. An agent's answer to a message left
/// through the offline form goes by e-mail as well while the visitor is away (<see cref="OfflineAnswers"/>): then the
/// mail server's answer is the attempt's outcome, retried and failed like any e-mail.
/// </summary>
internal sealed class WebchatSender(OfflineAnswers offline, EmailSender email) : IChannelSender
{
    public const int MaxTextLength = 10_000;

    public IReadOnlyCollection<Channel> Channels => [Channel.Webchat];

    public OutboundRefusal? Check(OutboundCheck check)
    {
        if (check.Content.Template is not null) return Unsupported("Web chat has no message templates; send text.");
        if (check.Content.MediaUrls is { Count: > 0 }) return Unsupported("Attachments in web chat are not supported yet; send a link in the text.");
        if (string.IsNullOrWhiteSpace(check.Content.Text) && check.Content.Choices is not { Count: > 0 }) return Unsupported("A chat message needs text.");
        if (check.Content.Text?.Length > MaxTextLength) return Unsupported($"A chat message is at most {MaxTextLength} characters.");
        return null;
    }

    public async Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct) =>
        await offline.ByEmailAsync(delivery, ct) is { } byEmail
            ? await email.SendAsync(byEmail, ct)
            : new SendOutcome.Accepted($"webchat:{delivery.MessageId:N}", DeliveryStatus.Sent);

    private static OutboundRefusal Unsupported(string detail) => new("unsupported-content", "Not possible in web chat", detail);
}
