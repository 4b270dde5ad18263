using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace ContactCenter.Channels.Telegram;

/// <summary>Bot API clients over the factory's pooled HTTP handlers, pointed at <c>Telegram:ApiBaseUrl</c>.</summary>
internal sealed class TelegramBots(IHttpClientFactory http, IOptions<TelegramOptions> options)
{
    public const string HttpClientName = "telegram";

    public ITelegramBotClient Create() => Create(options.Value, http.CreateClient(HttpClientName));

    public static ITelegramBotClient Create(TelegramOptions options, HttpClient client)
    {
        if (!options.CanSend) throw new InvalidOperationException("Telegram:BotToken is not configured.");
        return new TelegramBotClient(new TelegramBotClientOptions(options.BotToken!, options.ApiBaseUrl)
        {
            // The outbox retries 429s itself (honouring retry_after) without holding a worker while it waits.
            RetryThreshold = 0,
            RetryCount = 0,
        }, client);
    }
}
