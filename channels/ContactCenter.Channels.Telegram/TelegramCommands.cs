using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;

namespace ContactCenter.Channels.Telegram;

/// <summary>Operator commands: <c>telegram set-webhook &lt;public-url&gt;</c> registers the webhook with its secret.</summary>
public static partial class TelegramCommands
{
    public const string Usage = "telegram set-webhook <public-url>: register https://…/webhooks/telegram with Telegram:WebhookSecret";

    /// <summary>The updates the webhook handles; Telegram sends nothing else.</summary>
    internal static readonly UpdateType[] AllowedUpdates =
        [UpdateType.Message, UpdateType.EditedMessage, UpdateType.CallbackQuery, UpdateType.MyChatMember];

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output)
    {
        if (args is not ["set-webhook", var publicUrl])
        {
            await output.WriteLineAsync("Usage: " + Usage);
            return 2;
        }

        var options = configuration.GetSection(TelegramOptions.Section).Get<TelegramOptions>() ?? new TelegramOptions();
        if (!options.CanSend)
        {
            await output.WriteLineAsync("Telegram:BotToken is not configured.");
            return 2;
        }
        if (options.WebhookSecret is not { } secret || !SecretPattern().IsMatch(secret))
        {
            await output.WriteLineAsync("Telegram:WebhookSecret must be 1-256 characters of A-Z a-z 0-9 _ -.");
            return 2;
        }
        if (WebhookUrl(publicUrl) is not { } url)
        {
            await output.WriteLineAsync("The public URL must be an absolute https URL (Telegram calls webhooks over HTTPS only).");
            return 2;
        }

        using var http = new HttpClient { Timeout = options.RequestTimeout };
        try
        {
            await TelegramBots.Create(options, http).SetWebhook(url, secretToken: secret, allowedUpdates: AllowedUpdates);
        }
        catch (ApiRequestException e)
        {
            await output.WriteLineAsync($"Telegram refused the webhook ({e.ErrorCode}): {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"The Telegram Bot API could not be reached ({e.GetType().Name}).");
            return 1;
        }

        await output.WriteLineAsync($"Telegram webhook set to {url} with the configured secret.");
        return 0;
    }

    /// <summary>The service's base URL or the full webhook URL, as the operator prefers.</summary>
    internal static string? WebhookUrl(string publicUrl)
    {
        if (!Uri.TryCreate(publicUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps) return null;
        var path = uri.AbsolutePath.TrimEnd('/');
        if (!path.EndsWith("/webhooks/telegram", StringComparison.Ordinal)) path += "/webhooks/telegram";
        return new UriBuilder(uri) { Path = path, Query = "", Fragment = "" }.Uri.AbsoluteUri;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretPattern();
}
