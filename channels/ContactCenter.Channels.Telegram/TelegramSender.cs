using System.Globalization;
using System.Net;
using System.Text;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace ContactCenter.Channels.Telegram;

/// <summary>
/// Sends outbound messages through the Bot API: text (reply choices as an inline keyboard) or one photo or
/// document with the text as its caption. Telegram has no messaging window; its limits are rates, kept by
/// <see cref="TelegramPacer"/>.
/// </summary>
internal sealed class TelegramSender(TelegramBots bots, TelegramPacer pacer, IOptions<TelegramOptions> options, TimeProvider clock) : IChannelSender
{
    public const int MaxTextLength = 4096;
    public const int MaxCaptionLength = 1024;
    public const int MaxCallbackDataBytes = 64;
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".gif", ".webp"];

    public IReadOnlyCollection<Channel> Channels => [Channel.Telegram];

    public OutboundRefusal? Check(OutboundCheck check)
    {
        var content = check.Content;
        if (!options.Value.CanSend)
            return new OutboundRefusal("channel-unavailable", "Channel not configured", "Telegram:BotToken is not configured.");
        if (content.Template is not null)
            return Unsupported("Telegram has no message templates; send text instead (there is no messaging window to reopen).");
        if (string.IsNullOrWhiteSpace(content.Text) && content.MediaUrls is not { Count: > 0 })
            return Unsupported("A Telegram message needs text or a photo or document.");
        if (content.MediaUrls is { Count: > 1 })
            return Unsupported("A Telegram message carries one photo or document; send each in its own message.");
        if (content.MediaUrls is { Count: 1 } && content.Text is { Length: > MaxCaptionLength })
            return Unsupported($"A Telegram caption is at most {MaxCaptionLength} characters; send the text separately.");
        if (content.Text is { Length: > MaxTextLength })
            return Unsupported($"A Telegram message is at most {MaxTextLength} characters.");
        if (content.Choices?.FirstOrDefault(c => c.Id.Length == 0 || Encoding.UTF8.GetByteCount(c.Id) > MaxCallbackDataBytes) is { } bad)
            return Unsupported($"Telegram button data is 1 to {MaxCallbackDataBytes} bytes; the choice '{bad.Title}' has an id that does not fit.");
        return null;
    }

    public async Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        if (!long.TryParse(delivery.To, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chatId))
            return new SendOutcome.Permanent("invalid-chat", "The conversation's Telegram address is not a chat id.");

        var (reserved, wait) = await pacer.ReserveAsync(delivery.To, ct);
        if (!reserved) return new SendOutcome.Transient("paced", "Waiting for the chat's next Telegram send slot.", wait);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, ct);

        var content = delivery.Content;
        var keyboard = TelegramUpdates.Keyboard(content.Choices);
        try
        {
            var bot = bots.Create();
            var message = content.MediaUrls is [var url]
                ? IsImage(url)
                    ? await bot.SendPhoto(chatId, InputFile.FromUri(url), caption: content.Text, replyMarkup: keyboard, cancellationToken: ct)
                    : await bot.SendDocument(chatId, InputFile.FromUri(url), caption: content.Text, replyMarkup: keyboard, cancellationToken: ct)
                : await bot.SendMessage(chatId, content.Text ?? "", replyMarkup: keyboard, cancellationToken: ct);
            return new SendOutcome.Accepted(TelegramUpdates.MessageId(message.Chat.Id, message.Id), DeliveryStatus.Sent);
        }
        catch (ApiRequestException e)
        {
            return Classify(e.ErrorCode, e.Message, e.Parameters?.RetryAfter);
        }
        catch (RequestException e)
        {
            // No Bot API answer (an HTML error page from a proxy, say): only the HTTP status is known.
            var status = (int?)e.HttpStatusCode;
            return status is null or 429 or >= 500
                ? new SendOutcome.Transient(status?.ToString(CultureInfo.InvariantCulture) ?? "transport", "The Telegram Bot API did not answer usably.")
                : new SendOutcome.Permanent(status.Value.ToString(CultureInfo.InvariantCulture), $"The Telegram Bot API answered HTTP {status}.");
        }
        catch (HttpRequestException e)
        {
            return new SendOutcome.Transient("transport", "The Telegram Bot API could not be reached: " + e.HttpRequestError);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendOutcome.Transient("timeout", "The Telegram Bot API did not answer in time.");
        }
    }

    /// <summary>Telegram's error codes are HTTP statuses; its description says the rest.</summary>
    internal static SendOutcome Classify(int errorCode, string description, int? retryAfterSeconds)
    {
        var code = errorCode.ToString(CultureInfo.InvariantCulture);
        if (errorCode == (int)HttpStatusCode.TooManyRequests)
            return new SendOutcome.Transient(code, description, retryAfterSeconds is > 0 ? TimeSpan.FromSeconds(retryAfterSeconds.Value) : null);
        if (errorCode >= 500) return new SendOutcome.Transient(code, description);
        var blocked = errorCode == (int)HttpStatusCode.Forbidden && description.Contains("blocked by the user", StringComparison.OrdinalIgnoreCase);
        return new SendOutcome.Permanent(code, description, OptedOut: blocked);
    }

    private static bool IsImage(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && ImageExtensions.Any(e => uri.AbsolutePath.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static OutboundRefusal Unsupported(string detail) => new("unsupported-content", "Not possible on Telegram", detail);
}
