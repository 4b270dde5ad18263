using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Twilio.TwiML;

namespace ContactCenter.Channels.Twilio.Messaging;

/// <summary>
/// Twilio's messaging webhooks: an incoming SMS, MMS or WhatsApp message, and delivery status callbacks of the
/// messages we send. The group's signature filter has checked the request and parsed its form before these run.
/// </summary>
internal static partial class MessagingWebhooks
{
    public const string MessagingPath = "/messaging";
    public const string StatusPath = "/messaging/status";
    public const string MessageIdQuery = "messageId";
    private const string LogCategory = "ContactCenter.Channels.Twilio.Messaging.MessagingWebhooks";

    public static RouteGroupBuilder MapMessagingWebhooks(this RouteGroupBuilder twilio)
    {
        twilio.MapPost(MessagingPath, ReceiveAsync);
        twilio.MapPost(StatusPath, StatusAsync);
        return twilio;
    }

    /// <summary>An incoming message: stored (once per MessageSid) before the answer, keywords applied once.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ReceiveAsync(
        HttpContext http, Inbox inbox, AddressNormalizer addresses, TimeProvider clock,
        ILoggerFactory logs, CancellationToken ct)
    {
        if (!InboundMessageParser.TryParse(TwilioWebhook.Parameters(http), addresses, clock.GetUtcNow(), out var message, out var error))
            return BadRequest(error);

        // STOP and START travel with the message: the inbox records the consent change in the message's own
        // transaction, so it is never lost between the two, and a retried delivery (a duplicate) repeats nothing.
        var inbound = message.Keyword is MessagingKeyword.OptOut or MessagingKeyword.OptIn
            ? message.Event with
            {
                OptOut = message.Keyword == MessagingKeyword.OptOut,
                OptOutReason = $"The customer texted {message.Event.Text?.Trim().ToUpperInvariant()}.",
            }
            : message.Event;
        var result = await inbox.ReceiveAsync(inbound, ct);

        LogReceived(logs.CreateLogger(LogCategory), inbound.Channel.ToName(), inbound.ProviderEventId, result.Duplicate);
        return new MessagingResponse().ToResult();
    }

    /// <summary>
    /// A status callback. Our message id in the query finds the message even before the REST answer (with
    /// Twilio's sid) is recorded; statuses only move forward, so callbacks may come in any order.
    /// </summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> StatusAsync(
        HttpContext http, OutboxDispatcher dispatcher, Outbox outbox, ConversationStore conversations, CustomerStore customers,
        ILoggerFactory logs, CancellationToken ct)
    {
        var form = TwilioWebhook.Parameters(http);
        var sid = InboundMessageParser.First(form, "MessageSid") ?? InboundMessageParser.First(form, "SmsSid");
        var reported = InboundMessageParser.First(form, "MessageStatus") ?? InboundMessageParser.First(form, "SmsStatus");
        if (sid is null || reported is null) return BadRequest("'MessageSid' and 'MessageStatus' are required.");
        Guid? messageId = null;
        if (http.Request.Query.TryGetValue(MessageIdQuery, out var idValue))
        {
            if (!Guid.TryParse(idValue, out var parsed)) return BadRequest($"Query '{MessageIdQuery}' is not a message id.");
            messageId = parsed;
        }

        // WhatsApp read receipts come as EventType=READ.
        var status = string.Equals(InboundMessageParser.First(form, "EventType"), "READ", StringComparison.OrdinalIgnoreCase)
            ? DeliveryStatus.Read
            : reported.ToLowerInvariant();
        if (!DeliveryStatus.IsKnown(status)) return TypedResults.NoContent(); // receiving, received: not ours to track

        var errorCode = InboundMessageParser.First(form, "ErrorCode") is { } code && code != "0" ? code : null;
        var errorMessage = errorCode is null ? null : InboundMessageParser.First(form, "ErrorMessage") ?? TwilioErrors.Describe(errorCode);
        var channel = IsWhatsApp(form) ? Channel.WhatsApp : Channel.Sms;
        var update = messageId is { } id
            ? await dispatcher.RecordStatusAsync(id, status, errorCode, errorMessage, ct)
            : StatusUpdate.NotFound;
        if (update == StatusUpdate.NotFound)
            update = await dispatcher.RecordStatusByProviderIdAsync(channel, sid, status, errorCode, errorMessage, ct);

        // 21610 normally comes back from the REST call (the dispatcher handles it); a callback may carry it too.
        if (update == StatusUpdate.Advanced && errorCode == TwilioErrors.Unsubscribed && messageId is { } failedId
            && await outbox.GetAsync(failedId, ct) is { } message
            && await conversations.GetEndpointAsync(message.ConversationId, ct) is { } endpoint)
        {
            await customers.SetOptOutAsync(message.Channel, endpoint.CustomerAddress, true,
                $"provider error {errorCode}", message.ConversationId, ct);
        }

        LogStatus(logs.CreateLogger(LogCategory), sid, status, update.ToString());
        return TypedResults.NoContent();
    }

    private static bool IsWhatsApp(IFormCollection form) =>
        (InboundMessageParser.First(form, "To") ?? InboundMessageParser.First(form, "From") ?? "")
        .StartsWith(InboundMessageParser.WhatsAppPrefix, StringComparison.OrdinalIgnoreCase);

    private static ProblemHttpResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: 400, title: "Bad request");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Twilio {Channel} message {MessageSid} received (duplicate: {Duplicate})")]
    private static partial void LogReceived(ILogger logger, string channel, string messageSid, bool duplicate);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Twilio status {Status} for {MessageSid}: {Update}")]
    private static partial void LogStatus(ILogger logger, string messageSid, string status, string update);
}
