using System.Text;
using System.Text.Json;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace ContactCenter.Channels.Twilio.Messaging;

/// <summary>
/// Sends the outbox's SMS and WhatsApp messages through Twilio's Messages API, from the number the customer
/// wrote to, and says what Twilio said: accepted, temporary (retried) or permanent (failed at once).
/// </summary>
public sealed partial class TwilioMessagingSender(
    TwilioRestClient client,
    ProviderMessageIds recorded,
    IOptionsMonitor<TwilioOptions> options,
    ILogger<TwilioMessagingSender> log) : IChannelSender
{
    /// <summary>WhatsApp allows free-form messages only this long after the customer's last message.</summary>
    public static readonly TimeSpan WhatsAppWindow = TimeSpan.FromHours(24);
    /// <summary>Twilio refuses longer bodies (error 21617).</summary>
    public const int MaxBodyLength = 1600;

    public IReadOnlyCollection<Channel> Channels => [Channel.Sms, Channel.WhatsApp];

    public OutboundRefusal? Check(OutboundCheck check)
    {
        if (!options.CurrentValue.HasCredentials)
            return new OutboundRefusal("channel-unavailable", "Channel not configured",
                $"Twilio credentials (Twilio:AccountSid, Twilio:AuthToken) are not configured, so {check.Channel.ToName()} messages cannot be sent.");

        if (check.Content.Template is null && Render(check.Content) is { Length: > MaxBodyLength } body)
            return new OutboundRefusal("text-too-long", "Message too long",
                $"{check.Channel.ToName()} messages carry at most {MaxBodyLength} characters; this one has {body.Length}.");

        if (check.Channel == Channel.WhatsApp && check.Content.Template is null
            && (check.LastInboundAt is not { } last || check.Now - last >= WhatsAppWindow))
        {
            var since = check.LastInboundAt is { } at ? $"The customer last wrote at {at:u}." : "The customer has not written on WhatsApp.";
            return new OutboundRefusal("whatsapp-template-required", "WhatsApp template required",
                $"WhatsApp allows free-form messages only within 24 hours of the customer's last message. {since} " +
                "Send an approved template instead: { \"template\": { \"contentSid\": \"HX…\", \"variables\": { \"1\": \"…\" } } }.");
        }

        return null;
    }

    public async Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        if (BuildMessage(delivery, settings) is not { } message)
            return new SendOutcome.Permanent("no-sender",
                $"No {delivery.Channel.ToName()} sender: the conversation has no company number and neither a number nor Twilio:MessagingServiceSid is configured.");

        if (delivery.Attempt > 1 && await EarlierAttemptAsync(delivery, message, ct) is { } known) return known;
        var result = await client.CreateMessageAsync(message, ct);
        var outcome = Classify(result);
        if (outcome is SendOutcome.Accepted accepted)
            LogAccepted(delivery.MessageId, delivery.Channel.ToName(), Redact.Address(delivery.To), accepted.ProviderMessageId);
        return outcome;
    }

    /// <summary>
    /// An earlier attempt may have reached Twilio unanswered (it timed out, its worker died), and Twilio's create has
    /// no idempotency key: the message it made is looked up first. Found: it counts as this attempt's answer. Lookup
    /// failed: a temporary failure, nothing sent. Null (known not to exist): send.
    /// </summary>
    private async Task<SendOutcome?> EarlierAttemptAsync(OutboundDelivery delivery, CreateMessageOptions message, CancellationToken ct)
    {
        var to = message.To.ToString();
        var from = message.From?.ToString();
        var body = message.Body;
        var since = delivery.AcceptedAt ?? delivery.Now - TimeSpan.FromDays(1);
        switch (await TwilioSentLookup.FindMessageAsync(client, to, from, delivery.Content.Template is null ? body ?? "" : null, since,
                    sid => recorded.BelongsToAnotherAsync(delivery.MessageId, delivery.Channel, sid, ct), ct))
        {
            case EarlierAttempt.Found found:
                LogEarlierFound(delivery.MessageId, delivery.Attempt, found.Sid);
                return new SendOutcome.Accepted(found.Sid, found.Status ?? DeliveryStatus.Queued);
            case EarlierAttempt.Unknown unknown:
                return new SendOutcome.Transient(unknown.Error.DisplayCode,
                    $"Not sent again: whether an earlier attempt reached Twilio could not be checked ({unknown.Error.Message}).", unknown.Error.RetryAfter);
            default:
                return null;
        }
    }

    /// <summary>Twilio's answer as the outbox understands it (PROVIDERS.md: which errors are worth retrying).</summary>
    public static SendOutcome Classify(TwilioApiResult<MessageResource> result)
    {
        if (result.Error is not { } error)
        {
            var sid = result.Resource?.Sid;
            var status = result.Resource?.Status?.ToString() is { Length: > 0 } s ? s : DeliveryStatus.Queued;
            // Without a sid the message cannot be told apart from others; sending again could send it twice.
            return string.IsNullOrEmpty(sid)
                ? new SendOutcome.Permanent("invalid-response", "Twilio accepted the request but answered without a message sid.")
                : new SendOutcome.Accepted(sid, status);
        }

        if (error.Failure == TwilioFailure.NotConfigured) return new SendOutcome.Permanent("not-configured", error.Message);
        if (error.IsTemporary) return new SendOutcome.Transient(error.DisplayCode, error.Message, error.RetryAfter);
        return new SendOutcome.Permanent(error.DisplayCode, error.Message, OptedOut: error.DisplayCode == TwilioErrors.Unsubscribed);
    }

    /// <summary>The Messages.json request, or null when there is nobody to send from.</summary>
    internal static CreateMessageOptions? BuildMessage(OutboundDelivery delivery, TwilioOptions settings)
    {
        var whatsapp = delivery.Channel == Channel.WhatsApp;
        var message = new CreateMessageOptions(new PhoneNumber(Transport(whatsapp, delivery.To)));
        var number = NonEmpty(delivery.From) ?? NonEmpty(whatsapp ? settings.WhatsAppNumber : settings.PhoneNumber);
        if (number is not null) message.From = new PhoneNumber(Transport(whatsapp, number));
        else if (NonEmpty(settings.MessagingServiceSid) is { } service) message.MessagingServiceSid = service;
        else return null;

        var content = delivery.Content;
        if (content.Template is { } template)
        {
            message.ContentSid = template.ContentSid;
            if (template.Variables is { Count: > 0 } variables) message.ContentVariables = JsonSerializer.Serialize(variables);
        }
        else if (Render(content) is { Length: > 0 } body)
        {
            message.Body = body;
        }

        if (content.MediaUrls is { Count: > 0 } media) message.MediaUrl = [.. media.Select(url => new Uri(url, UriKind.RelativeOrAbsolute))];
        if (settings.PublicBase is { } publicBase)
            message.StatusCallback = new Uri(StatusCallbackUrl(publicBase, delivery.MessageId));
        return message;
    }

    /// <summary>Our message id rides in the callback URL (inside the signature), so the callback finds the message
    /// even when it arrives before Twilio's answer with the sid has been recorded.</summary>
    public static string StatusCallbackUrl(string publicBase, Guid messageId) =>
        $"{publicBase}{TwilioWebhook.Prefix}{MessagingWebhooks.StatusPath}?{MessagingWebhooks.MessageIdQuery}={messageId}";

    /// <summary>The text as sent: bot menus become numbered lines, since SMS has no buttons.</summary>
    internal static string? Render(OutboundContent content)
    {
        if (content.Choices is not { Count: > 0 } choices) return content.Text;
        var text = new StringBuilder(content.Text);
        if (text.Length > 0) text.Append("\n\n");
        for (var i = 0; i < choices.Count; i++)
            text.Append(i + 1).Append(". ").Append(choices[i].Title).Append(i < choices.Count - 1 ? "\n" : "");
        return text.ToString();
    }

    private static string Transport(bool whatsapp, string address)
    {
        var bare = address.StartsWith(InboundMessageParser.WhatsAppPrefix, StringComparison.OrdinalIgnoreCase)
            ? address[InboundMessageParser.WhatsAppPrefix.Length..]
            : address;
        return whatsapp ? InboundMessageParser.WhatsAppPrefix + bare : bare;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbound {MessageId}: attempt {Attempt} found the message an earlier attempt made at Twilio ({Sid}); not sent again")]
    private partial void LogEarlierFound(Guid messageId, int attempt, string sid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Twilio accepted outbound {MessageId} on {Channel} to {To} as {Sid}")]
    private partial void LogAccepted(Guid messageId, string channel, string to, string sid);
}
