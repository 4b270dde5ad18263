using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Timeline;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace ContactCenter.Channels.Telegram;

/// <summary>
/// <c>POST /webhooks/telegram</c>: checks the secret token, stores the update through the inbox (answering 200
/// only once it is committed), then does the update's follow-ups (link a shared number, answer a button press,
/// record a block).
/// </summary>
internal sealed partial class TelegramWebhook(
    Inbox inbox,
    CustomerStore customers,
    TimelineStore timeline,
    AddressNormalizer addresses,
    TelegramBots bots,
    TimeProvider clock,
    IOptions<TelegramOptions> options,
    ILogger<TelegramWebhook> log)
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public async Task<Results<Ok, ProblemHttpResult>> ReceiveAsync(HttpRequest request, CancellationToken ct)
    {
        if (!SecretMatches(request.Headers[SecretHeader].ToString(), options.Value.WebhookSecret))
        {
            LogRejected();
            return TypedResults.Problem("The webhook secret token is missing or wrong.", statusCode: 403, title: "Forbidden");
        }

        Update update;
        switch (await TelegramUpdateReader.ReadAsync(request, clock.GetUtcNow(), ct))
        {
            case TelegramBody.Readable readable:
                update = readable.Update;
                break;
            case TelegramBody.Unreadable unreadable:
                LogUnreadable(unreadable.UpdateId, unreadable.Reason);
                return TypedResults.Ok();
            case TelegramBody.NotAnUpdate bad:
                return TypedResults.Problem(bad.Detail, statusCode: bad.Status, title: bad.Status == 413 ? "Payload too large" : "Bad request");
            default:
                throw new InvalidOperationException("Unexpected body.");
        }

        var plan = TelegramUpdates.Plan(update, TelegramUpdates.BotId(options.Value.BotToken), addresses, clock.GetUtcNow());
        if (plan.Event is { } inbound)
        {
            if (plan.EditedProviderId is { } edited
                && await timeline.FindByProviderIdAsync(Channel.Telegram, inbound.Address, edited, TimelineEventTypes.MessageReceived, ct) is { } original)
                inbound.Data!["editOf"]!["eventId"] = original.Id;

            var result = await inbox.ReceiveAsync(inbound, ct);
            // Linking is idempotent, so it runs for a redelivered update too: the first delivery may have
            // stored the event and died before linking.
            if (plan.OwnPhoneNumber is { } phone)
            {
                var outcome = await customers.LinkToPhoneCustomerAsync(Channel.Telegram, inbound.Address, phone, "telegram-contact", ct);
                if (outcome is MergeOutcome.Merged merged) LogLinked(result.CustomerId, merged.Customer.Id);
            }
        }
        else if (plan.Blocked is { } block)
        {
            await customers.SetOptOutAsync(Channel.Telegram, block.Address, block.Blocked,
                block.Blocked ? "blocked the Telegram bot" : "unblocked the Telegram bot", null, ct);
        }
        else
        {
            LogIgnored(update.Id, plan.Ignored ?? "nothing to store");
        }

        if (plan.AnswerCallbackQueryId is { } queryId) await AnswerCallbackQueryAsync(queryId, ct);
        return TypedResults.Ok();
    }

    /// <summary>
    /// Stops the customer's client waiting on the button. The press is already stored, so a failure here is
    /// only logged: the spinner times out by itself.
    /// </summary>
    private async Task AnswerCallbackQueryAsync(string queryId, CancellationToken ct)
    {
        if (!options.Value.CanSend) return;
        try
        {
            await bots.Create().AnswerCallbackQuery(queryId, cancellationToken: ct);
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogAnswerFailed(e.GetType().Name, e is ApiRequestException api ? api.ErrorCode : 0);
        }
    }

    /// <summary>Constant time whatever the lengths: both sides are hashed first.</summary>
    internal static bool SecretMatches(string? given, string? expected)
    {
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(given)) return false;
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram webhook refused: secret token missing or wrong")]
    private partial void LogRejected();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram update {UpdateId} acknowledged but not readable ({Reason}); nothing stored")]
    private partial void LogUnreadable(int updateId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telegram update {UpdateId} ignored: {Reason}")]
    private partial void LogIgnored(int updateId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram customer {Customer} shared their number and was merged into {Survivor}")]
    private partial void LogLinked(Guid customer, Guid survivor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "answerCallbackQuery failed ({Error} {Code}); the press is stored")]
    private partial void LogAnswerFailed(string error, int code);
}
