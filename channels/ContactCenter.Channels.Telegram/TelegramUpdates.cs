using System.Globalization;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Timeline;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace ContactCenter.Channels.Telegram;

/// <summary>What to do with one update: the event to store and the follow-ups once it is stored.</summary>
/// <param name="Ignored">Why nothing is stored (an update kind or chat the contact center does not handle).</param>
/// <param name="AnswerCallbackQueryId">A button press to acknowledge, so the customer's client stops waiting.</param>
/// <param name="OwnPhoneNumber">The sender shared their own number (E.164): link them to that number's customer.</param>
/// <param name="EditedProviderId">The provider id of the message an edit changes.</param>
/// <param name="Blocked">The customer blocked (true) or unblocked (false) the bot.</param>
internal sealed record TelegramUpdatePlan(
    InboundEvent? Event,
    string? Ignored = null,
    string? AnswerCallbackQueryId = null,
    string? OwnPhoneNumber = null,
    string? EditedProviderId = null,
    (string Address, bool Blocked)? Blocked = null);

/// <summary>Turns a Bot API <see cref="Update"/> into what the core stores. Pure: no I/O.</summary>
internal static class TelegramUpdates
{
    public const string Provider = "telegram";

    /// <remarks>
    /// The Bot API's types declare objects Telegram always sends (a message's chat, a query's sender) as
    /// non-null, but the JSON may still lack them: each is checked, and an update without them is ignored.
    /// </remarks>
    public static TelegramUpdatePlan Plan(Update update, string? botId, AddressNormalizer addresses, DateTimeOffset now) => update switch
    {
        { Message: { } message } => FromMessage(update, message, botId, addresses, edited: false),
        { EditedMessage: { } message } => FromMessage(update, message, botId, addresses, edited: true),
        { CallbackQuery: { } query } => FromCallbackQuery(update, query, botId, now),
        { MyChatMember: { } change } => FromMembership(change),
        _ => new TelegramUpdatePlan(null, $"update kind {update.Type}"),
    };

    public static string DedupeKey(Update update) => $"telegram:{update.Id}";

    /// <summary>Provider ids of messages: message ids count per chat, so the chat is part of the id.</summary>
    public static string MessageId(long chatId, int messageId) =>
        chatId.ToString(CultureInfo.InvariantCulture) + ":" + messageId.ToString(CultureInfo.InvariantCulture);

    /// <summary>A file Telegram holds: fetched later with getFile (the download URL carries the bot token, so it is never stored).</summary>
    public static string FileReference(string fileId) => "telegram:file/" + fileId;

    private static TelegramUpdatePlan FromMessage(Update update, Message message, string? botId, AddressNormalizer addresses, bool edited)
    {
        if ((Chat?)message.Chat is null) return new TelegramUpdatePlan(null, "a message without a chat");
        // The contact center talks to people one to one; groups and channels the bot sits in are not customers.
        if (message.Chat.Type != ChatType.Private) return new TelegramUpdatePlan(null, $"a message in a {message.Chat.Type} chat");
        if (message.From is not { IsBot: false } from) return new TelegramUpdatePlan(null, "a message without a human sender");

        var address = Id(from.Id);
        var providerId = MessageId(message.Chat.Id, message.Id);
        var data = new JsonObject { ["telegram"] = Meta(update, message.Chat.Id, message.Id, from.Username) };
        var media = new List<MediaReference>();
        if (message.Photo is { Length: > 0 } sizes && sizes[^1] is not null) media.Add(new MediaReference(FileReference(sizes[^1].FileId), "image/jpeg"));
        if (message.Document is { } document)
        {
            media.Add(new MediaReference(FileReference(document.FileId), document.MimeType ?? "application/octet-stream"));
            if (document.FileName is { } fileName) data["fileName"] = fileName;
        }
        if (message.Voice is { } voice)
        {
            media.Add(new MediaReference(FileReference(voice.FileId), voice.MimeType ?? "audio/ogg"));
            data["durationSeconds"] = voice.Duration;
        }
        if (message.Audio is { } audio) media.Add(new MediaReference(FileReference(audio.FileId), audio.MimeType ?? "audio/mpeg"));
        if (message.Video is { } video) media.Add(new MediaReference(FileReference(video.FileId), video.MimeType ?? "video/mp4"));
        if (message.VideoNote is { } note) media.Add(new MediaReference(FileReference(note.FileId), "video/mp4"));
        if (message.Sticker is { } sticker) data["sticker"] = sticker.Emoji ?? "";
        if (message.Location is { } location)
            data["location"] = new JsonObject { ["latitude"] = location.Latitude, ["longitude"] = location.Longitude };
        if (message.Venue is { } venue)
            data["venue"] = new JsonObject { ["title"] = venue.Title, ["address"] = venue.Address };

        string? ownPhone = null;
        if (message.Contact is { } contact)
        {
            // Telegram gives numbers in international form, usually without the '+'.
            var raw = contact.PhoneNumber?.Trim() ?? "";
            var normalized = addresses.TryNormalize(Channel.Sms, raw.StartsWith('+') ? raw : "+" + raw, out var e164) ? e164 : null;
            var own = contact.UserId == from.Id;
            data["contact"] = new JsonObject
            {
                ["phoneNumber"] = normalized ?? raw,
                ["firstName"] = contact.FirstName,
                ["lastName"] = contact.LastName,
                ["userId"] = contact.UserId,
                ["own"] = own,
            };
            if (own && !edited) ownPhone = normalized;
        }

        if (edited) data["editOf"] = new JsonObject { ["providerId"] = providerId };
        var inbound = new InboundEvent
        {
            Channel = Channel.Telegram,
            Address = address,
            Provider = Provider,
            ProviderEventId = providerId,
            DedupeKey = DedupeKey(update),
            OccurredAt = new DateTimeOffset(edited ? message.EditDate ?? message.Date : message.Date, TimeSpan.Zero),
            Type = edited ? TimelineEventTypes.MessageEdited : TimelineEventTypes.MessageReceived,
            Text = message.Text ?? message.Caption,
            Media = media,
            Data = data,
            CompanyAddress = botId,
            CustomerName = Name(from),
        };
        return new TelegramUpdatePlan(inbound, OwnPhoneNumber: ownPhone, EditedProviderId: edited ? providerId : null);
    }

    private static TelegramUpdatePlan FromCallbackQuery(Update update, CallbackQuery query, string? botId, DateTimeOffset now)
    {
        if ((User?)query.From is null) return new TelegramUpdatePlan(null, "a callback query without a sender", AnswerCallbackQueryId: NonEmpty(query.Id));
        if (string.IsNullOrEmpty(query.Id)) return new TelegramUpdatePlan(null, "a callback query without an id");
        if (query.From.IsBot || query.Data is not { } choiceId)
            return new TelegramUpdatePlan(null, "a callback query without data", AnswerCallbackQueryId: query.Id);
        if (query.Message is { } origin && ((Chat?)origin.Chat is null || origin.Chat.Type != ChatType.Private))
            return new TelegramUpdatePlan(null, $"a button in a {((Chat?)origin.Chat)?.Type.ToString() ?? "missing"} chat", AnswerCallbackQueryId: query.Id);

        // The button's text is on the message that carried the keyboard; the callback data alone is the id.
        var title = query.Message?.ReplyMarkup?.InlineKeyboard?.SelectMany(row => row ?? [])
            .FirstOrDefault(button => button?.CallbackData == choiceId)?.Text ?? choiceId;
        var meta = Meta(update, query.Message?.Chat.Id, query.Message?.Id, query.From.Username);
        meta["callbackQueryId"] = query.Id;
        var inbound = new InboundEvent
        {
            Channel = Channel.Telegram,
            Address = Id(query.From.Id),
            Provider = Provider,
            ProviderEventId = query.Id,
            DedupeKey = DedupeKey(update),
            // Callback queries carry no time of their own.
            OccurredAt = now,
            Text = title,
            Data = new JsonObject
            {
                ["choice"] = new JsonObject { ["id"] = choiceId, ["title"] = title },
                ["telegram"] = meta,
            },
            CompanyAddress = botId,
            CustomerName = Name(query.From),
        };
        return new TelegramUpdatePlan(inbound, AnswerCallbackQueryId: query.Id);
    }

    private static TelegramUpdatePlan FromMembership(ChatMemberUpdated change)
    {
        if ((Chat?)change.Chat is null || (User?)change.From is null || (ChatMember?)change.NewChatMember is null)
            return new TelegramUpdatePlan(null, "a membership change without its chat, sender or status");
        if (change.Chat.Type != ChatType.Private) return new TelegramUpdatePlan(null, "a membership change in a group");
        return change.NewChatMember.Status switch
        {
            ChatMemberStatus.Kicked => new TelegramUpdatePlan(null, Blocked: (Id(change.From.Id), true)),
            ChatMemberStatus.Member => new TelegramUpdatePlan(null, Blocked: (Id(change.From.Id), false)),
            var status => new TelegramUpdatePlan(null, $"membership status {status}"),
        };
    }

    private static JsonObject Meta(Update update, long? chatId, int? messageId, string? username)
    {
        var meta = new JsonObject { ["updateId"] = update.Id };
        if (chatId is { } chat) meta["chatId"] = chat;
        if (messageId is { } id) meta["messageId"] = id;
        if (username is not null) meta["username"] = username;
        return meta;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string? Name(User user) =>
        string.Join(' ', new[] { user.FirstName, user.LastName }.Where(n => !string.IsNullOrWhiteSpace(n))) is { Length: > 0 } name ? name : null;

    /// <summary>The bot's own id is the part of its token before the colon.</summary>
    public static string? BotId(string? token) =>
        token?.IndexOf(':') is > 0 and var colon ? token[..colon] : null;

    internal static InlineKeyboardMarkup? Keyboard(IReadOnlyList<Core.Outbound.ReplyChoice>? choices) =>
        choices is { Count: > 0 }
            ? new InlineKeyboardMarkup(choices.Select(c => new[] { InlineKeyboardButton.WithCallbackData(c.Title, c.Id) }))
            : null;
}
