using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Meta;

/// <summary>
/// Sends Messenger and Instagram messages through the Send API. Meta's rule: free-form replies within 24 h of
/// the customer's last message (<c>RESPONSE</c>); a human agent may answer up to 7 days with the
/// <c>HUMAN_AGENT</c> tag; nothing after that. The rule is checked when a message is accepted (409) and again
/// when it is sent, since a retried message can outlive its window.
/// </summary>
internal sealed class MetaSender(IHttpClientFactory http, IOptions<MetaOptions> options) : IChannelSender
{
    public const string HttpClientName = "meta";
    public const int MaxTextLength = 2000;
    public const int MaxQuickReplies = 13;
    public const int MaxQuickReplyTitle = 20;
    public static readonly TimeSpan StandardWindow = TimeSpan.FromHours(24);
    public static readonly TimeSpan HumanAgentWindow = TimeSpan.FromDays(7);

    /// <summary>Graph error codes for rate limits and temporary trouble (Meta's error reference).</summary>
    private static readonly HashSet<int> TransientCodes = [1, 2, 4, 17, 32, 341, 613, 80006];

    public IReadOnlyCollection<Channel> Channels => [Channel.Messenger, Channel.Instagram];

    public OutboundRefusal? Check(OutboundCheck check)
    {
        var content = check.Content;
        if (!options.Value.CanSend)
            return new OutboundRefusal("channel-unavailable", "Channel not configured", "Meta:PageAccessToken is not configured.");
        if (content.Template is not null)
            return Unsupported(check.Channel, "Meta messages have no content templates here; send text.");
        if (string.IsNullOrWhiteSpace(content.Text) && content.MediaUrls is not { Count: > 0 })
            return Unsupported(check.Channel, "A Meta message needs text or one attachment.");
        if (content.MediaUrls is { Count: > 1 } || (content.MediaUrls is { Count: 1 } && content.Text is not null))
            return Unsupported(check.Channel, "A Meta message carries either text or one attachment; send them as separate messages.");
        if (content.Text is { Length: > MaxTextLength })
            return Unsupported(check.Channel, $"A message is at most {MaxTextLength} characters.");
        if (content.Choices is { Count: > MaxQuickReplies })
            return Unsupported(check.Channel, $"At most {MaxQuickReplies} quick replies.");
        return Window(check.Channel, check.AuthorKind, check.LastInboundAt, check.Now).Refusal;
    }

    /// <summary>The messaging type (and tag) Meta's window allows now, or why nothing may be sent.</summary>
    internal static (string? MessagingType, string? Tag, OutboundRefusal? Refusal) Window(
        Channel channel, string authorKind, DateTimeOffset? lastInboundAt, DateTimeOffset now)
    {
        var name = channel.ToName();
        if (lastInboundAt is not { } last)
            return (null, null, Closed($"The customer has not written on {name}; Meta allows messages only in reply to the customer."));
        var age = now - last;
        if (age <= StandardWindow) return ("RESPONSE", null, null);
        if (age <= HumanAgentWindow)
            return authorKind == AuthorKind.Agent
                ? ("MESSAGE_TAG", "HUMAN_AGENT", null)
                : (null, null, Closed($"The customer last wrote on {name} more than 24 hours ago: only a human agent may answer now (up to 7 days)."));
        return (null, null, Closed($"The customer last wrote on {name} more than 7 days ago; Meta allows no reply until they write again."));
    }

    public async Task<SendOutcome> SendAsync(OutboundDelivery delivery, CancellationToken ct)
    {
        var (type, tag, refusal) = Window(delivery.Channel, delivery.AuthorKind, delivery.LastInboundAt, delivery.Now);
        if (refusal is not null) return new SendOutcome.Permanent(refusal.Code, refusal.Detail);

        var o = options.Value;
        var url = $"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphApiVersion}/me/messages?access_token={Uri.EscapeDataString(o.PageAccessToken ?? "")}";
        var body = Body(delivery, type!, tag);
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).PostAsJsonAsync(url, body, ct);
        }
        catch (HttpRequestException e)
        {
            // The exception's message may carry the URL, and with it the token: say only what kind of failure.
            return new SendOutcome.Transient("transport", "The Graph API could not be reached: " + e.HttpRequestError);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendOutcome.Transient("timeout", "The Graph API did not answer in time.");
        }

        using (response)
        {
            var json = await ReadJsonAsync(response, ct);
            if (response.IsSuccessStatusCode && json?["message_id"]?.GetValue<string>() is { Length: > 0 } messageId)
                return new SendOutcome.Accepted(messageId, DeliveryStatus.Sent);
            return Classify(response.StatusCode, json?["error"] as JsonObject);
        }
    }

    internal static JsonObject Body(OutboundDelivery delivery, string messagingType, string? tag)
    {
        var content = delivery.Content;
        var message = new JsonObject();
        if (content.MediaUrls is [var url])
            message["attachment"] = new JsonObject
            {
                ["type"] = IsImage(url) ? "image" : "file",
                ["payload"] = new JsonObject { ["url"] = url, ["is_reusable"] = false },
            };
        else
            message["text"] = content.Text ?? "";
        if (content.Choices is { Count: > 0 } choices)
            message["quick_replies"] = new JsonArray(choices.Select(c => (JsonNode)new JsonObject
            {
                ["content_type"] = "text",
                ["title"] = c.Title.Length > MaxQuickReplyTitle ? c.Title[..(MaxQuickReplyTitle - 1)] + "…" : c.Title,
                ["payload"] = c.Id,
            }).ToArray());

        var body = new JsonObject
        {
            ["recipient"] = new JsonObject { ["id"] = delivery.To },
            ["messaging_type"] = messagingType,
            ["message"] = message,
        };
        if (tag is not null) body["tag"] = tag;
        return body;
    }

    internal static SendOutcome Classify(HttpStatusCode status, JsonObject? error)
    {
        var code = error?["code"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : (int?)null;
        var subcode = error?["error_subcode"] is JsonValue s && s.TryGetValue<int>(out var m) ? m : (int?)null;
        var transientFlag = error?["is_transient"] is JsonValue t && t.TryGetValue<bool>(out var b) && b;
        var message = error?["message"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : $"The Graph API answered HTTP {(int)status}.";
        var errorCode = code is { } known
            ? known.ToString(CultureInfo.InvariantCulture) + (subcode is { } sub ? "/" + sub.ToString(CultureInfo.InvariantCulture) : "")
            : ((int)status).ToString(CultureInfo.InvariantCulture);
        var transient = status == HttpStatusCode.TooManyRequests || (int)status >= 500 || transientFlag
                        || (code is { } k && TransientCodes.Contains(k));
        return transient ? new SendOutcome.Transient(errorCode, message) : new SendOutcome.Permanent(errorCode, message);
    }

    private static async Task<JsonObject?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsImage(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && new[] { ".jpg", ".jpeg", ".png", ".gif", ".webp" }.Any(e => uri.AbsolutePath.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static OutboundRefusal Closed(string detail) => new("window-closed", "Outside Meta's messaging window", detail);

    private static OutboundRefusal Unsupported(Channel channel, string detail) =>
        new("unsupported-content", $"Not possible on {channel.ToName()}", detail);
}
