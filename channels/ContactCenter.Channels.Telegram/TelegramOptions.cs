namespace ContactCenter.Channels.Telegram;

/// <summary>The <c>Telegram</c> configuration section (shared/CONTRACT.md).</summary>
public sealed class TelegramOptions
{
    public const string Section = "Telegram";

    /// <summary>The bot's token from @BotFather (<c>123456:ABC…</c>). Never logged.</summary>
    public string? BotToken { get; set; }

    /// <summary>Sent by Telegram in <c>X-Telegram-Bot-Api-Secret-Token</c>; 1–256 of <c>A-Z a-z 0-9 _ -</c>.</summary>
    public string? WebhookSecret { get; set; }

    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary>Telegram's limit of about one message a second to one chat.</summary>
    public TimeSpan PerChatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>About 30 messages a second over all chats of the bot.</summary>
    public int MessagesPerSecond { get; set; } = 30;

    /// <summary>
    /// How long a delivery attempt may wait in-process for its pacing slot; a later slot sends the message back
    /// to the outbox, which retries it when the slot comes.
    /// </summary>
    public TimeSpan MaxPacingWait { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Per request to the Bot API.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public bool CanSend => !string.IsNullOrWhiteSpace(BotToken);
}
