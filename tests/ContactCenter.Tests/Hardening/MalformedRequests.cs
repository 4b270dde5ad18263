using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ContactCenter.Channels.Twilio;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Twilio;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.WebUtilities;

namespace ContactCenter.Tests.Hardening;

/// <summary>One route of the app, as its endpoint data source lists it.</summary>
public sealed record AppRoute(string Method, RoutePattern Pattern)
{
    public string Template => Pattern.RawText ?? "";
    public bool IsWebhook => Template.StartsWith("/webhooks/", StringComparison.Ordinal);
    public override string ToString() => $"{Method} {Template}";
}

/// <summary>
/// Builds malformed requests from a seed: bodies (broken, deep, huge, wrongly typed JSON; forms; invalid UTF-8),
/// content types and charsets, NULs, huge and negative numbers, missing and null fields. Each request is signed
/// (Twilio signature, Telegram secret, Meta HMAC) or keyed like a real caller's, so it reaches the parsers.
/// </summary>
public sealed class MalformedRequests(Random random, string twilioSigningBase, IReadOnlyList<string> knownIds)
{
    /// <summary>Field names the service's bodies and queries use, so random objects often look almost right.</summary>
    private static readonly string[] Names =
    [
        "text", "idempotencyKey", "template", "contentSid", "variables", "mediaUrls", "queue", "agentId", "status", "priority", "reason",
        "to", "name", "id", "skills", "capacity", "steps", "after", "action", "businessHours", "timeZone", "otherCustomerId", "channel",
        "address", "limit", "before", "customerId", "assignee", "tags", "question", "answer", "language", "enabled", "target", "bot",
        "update_id", "message", "edited_message", "callback_query", "my_chat_member", "message_id", "chat", "from", "date", "type",
        "first_name", "is_bot", "data", "photo", "contact", "phone_number", "object", "entry", "messaging", "sender", "recipient",
        "timestamp", "mid", "postback", "payload", "attachments", "delivery", "mids", "is_echo", "quick_reply", "url",
    ];

    private static readonly string[] TwilioNames =
    [
        "From", "To", "Body", "MessageSid", "SmsSid", "AccountSid", "NumMedia", "MediaUrl0", "MediaContentType0", "ProfileName", "WaId",
        "MessageStatus", "SmsStatus", "ErrorCode", "ErrorMessage", "EventType", "CallSid", "CallStatus", "Direction", "Digits",
        "SpeechResult", "Confidence", "CallerName", "DialCallStatus", "DialCallSid", "RecordingUrl", "RecordingSid", "RecordingDuration",
        "CallDuration", "ParentCallSid", "ButtonPayload", "ButtonText", "Latitude", "Longitude", "ReferralBody", "ApiVersion",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=bogus", "application/json; charset=utf-16",
        "application/json; charset=\"\"", "text/plain", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-x",
        "multipart/form-data; boundary=zz", "multipart/form-data", "application/xml", ";;;", "application/json; charset=utf-8; charset=ascii",
    ];

    public HttpRequestMessage Build(AppRoute route)
    {
        var path = Path(route.Pattern);
        var query = random.Next(3) == 0 ? Query() : "";
        var request = new HttpRequestMessage(new HttpMethod(route.Method), path + query);
        var twilio = route.Template.StartsWith("/webhooks/twilio", StringComparison.Ordinal);
        byte[] body = [];
        if (route.Method is not ("GET" or "DELETE" or "HEAD") || random.Next(10) == 0)
        {
            var (bytes, contentType) = twilio && random.Next(4) != 0 ? Form() : Body(route);
            body = bytes;
            request.Content = new ByteArrayContent(bytes);
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (twilio)
        {
            Dictionary<string, Microsoft.Extensions.Primitives.StringValues> parameters;
            try
            {
                parameters = new FormReader(Encoding.UTF8.GetString(body)) { ValueLengthLimit = 64 * 1024 }.ReadForm();
            }
            catch (InvalidDataException)
            {
                parameters = []; // the service refuses it before the signature matters
            }

            var signature = TwilioSignature.Compute(TwilioFake.AuthToken, twilioSigningBase + path + query, parameters);
            request.Headers.TryAddWithoutValidation(TwilioSignature.Header, random.Next(15) == 0 ? "bad" : signature);
        }
        else if (route.Template.StartsWith("/webhooks/telegram", StringComparison.Ordinal))
            request.Headers.TryAddWithoutValidation("X-Telegram-Bot-Api-Secret-Token", random.Next(10) == 0 ? "wrong" : TelegramFixture.Secret);
        else if (route.Template.StartsWith("/webhooks/meta", StringComparison.Ordinal))
            request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", random.Next(15) == 0 ? "sha256=00" : MetaFixture.Sign(body));
        else
        {
            var key = Pick([ContactCenterApp.AdminKey, ContactCenterApp.AdminKey, ContactCenterApp.SupervisorKey, ContactCenterApp.AgentKey, "no-such-key-000000"]);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    private string Path(RoutePattern pattern)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart parameter => Uri.EscapeDataString(RouteValue(parameter)),
                    _ => "",
                });
            }
        }

        return path.Length == 0 ? "/" : path.ToString();
    }

    private string RouteValue(RoutePatternParameterPart parameter)
    {
        var constraints = string.Join(",", parameter.ParameterPolicies.Select(p => p.Content));
        if (constraints.Contains("guid", StringComparison.Ordinal))
            return knownIds.Count > 0 && random.Next(3) != 0 ? Pick(knownIds) : Guid.NewGuid().ToString();
        if (constraints.Contains("int", StringComparison.Ordinal) || constraints.Contains("long", StringComparison.Ordinal))
            return Pick(["0", "-1", "1", "2147483647", "9223372036854775807"]);
        return random.Next(3) switch
        {
            0 => Pick(["general", "billing", "agent-1", "volume", "sales", "x"]),
            1 => Pick(["a%00b", "..", "ä€😀", new string('q', 300), "null", "-1"]),
            _ => knownIds.Count > 0 ? Pick(knownIds) : "x",
        };
    }

    private string Query()
    {
        var query = new Dictionary<string, string?>();
        for (var i = random.Next(1, 4); i > 0; i--) query[Pick(Names)] = Scalar();
        if (random.Next(4) == 0) query["messageId"] = random.Next(2) == 0 ? Guid.NewGuid().ToString() : Scalar();
        return QueryHelpers.AddQueryString("", query);
    }

    private (byte[] Bytes, string? ContentType) Body(AppRoute route)
    {
        byte[] bytes;
        switch (random.Next(12))
        {
            case 0:
                var whole = ObjectJson(0);
                bytes = Encoding.UTF8.GetBytes(whole[..Math.Min(whole.Length, random.Next(1, 40))]); // cut short
                break;
            case 1:
                bytes = Encoding.UTF8.GetBytes(new string('[', 3000) + new string(']', 3000)); // too deep
                break;
            case 2:
                bytes = [0xC3, 0x28, 0x7B, 0xFF, 0xFE, 0x22, 0x00, 0x7D]; // not UTF-8
                break;
            case 3 when random.Next(8) == 0:
                bytes = Encoding.UTF8.GetBytes("{\"text\": \"" + new string('x', 1_100_000) + "\"}"); // over every limit
                break;
            case 4:
                bytes = Encoding.UTF8.GetBytes(route.IsWebhook ? WebhookShaped(route) : Json(0));
                break;
            default:
                bytes = Encoding.UTF8.GetBytes(route.IsWebhook && random.Next(2) == 0 ? WebhookShaped(route) : ObjectJson(0));
                break;
        }

        return (bytes, random.Next(8) != 0 ? Pick(ContentTypes[..6].Concat(ContentTypes).ToArray()) : null);
    }

    /// <summary>A provider-shaped body with random holes: updates and notifications that look almost real.</summary>
    private string WebhookShaped(AppRoute route)
    {
        if (route.Template.StartsWith("/webhooks/telegram", StringComparison.Ordinal))
            return "{\"update_id\": " + Number() + ", \"" + Pick(["message", "edited_message", "callback_query", "my_chat_member", "x"]) + "\": {"
                + "\"message_id\": " + Number() + ", \"id\": " + Value(1) + ", \"date\": " + Number() + ", \"text\": " + Value(1)
                + ", \"chat\": " + Pick(["null", "{}", "{\"id\": 5, \"type\": \"private\"}", Value(1)])
                + ", \"from\": " + Pick(["null", "{\"id\": 5, \"is_bot\": false, \"first_name\": \"A\\u0000\"}", Value(1)])
                + ", \"data\": " + Value(1) + ", \"photo\": [" + Value(1) + "]}}";
        return "{\"object\": " + Pick(["\"page\"", "\"instagram\"", "null", "5"]) + ", \"entry\": [{\"id\": " + Value(1)
            + ", \"time\": " + Number() + ", \"messaging\": [{\"sender\": {\"id\": " + Pick(["\"123\"", Value(1)])
            + "}, \"recipient\": {\"id\": \"1\"}, \"timestamp\": " + Number() + ", \"" + Pick(["message", "postback", "delivery", "read"])
            + "\": {\"mid\": " + Value(1) + ", \"text\": " + Value(1) + ", \"title\": " + Value(1) + ", \"mids\": [" + Value(1)
            + "], \"attachments\": [" + Value(1) + ", {\"type\": \"image\", \"payload\": " + Value(1) + "}], \"quick_reply\": " + Value(1)
            + "}}, " + Value(1) + "]}]}";
    }

    private (byte[] Bytes, string? ContentType) Form()
    {
        var form = new Dictionary<string, string?>();
        for (var i = random.Next(0, 10); i > 0; i--) form[Pick(TwilioNames)] = Scalar();
        if (random.Next(3) == 0) form["From"] = Pick(["+15551234567", "whatsapp:+15551234567", "client:agent-1", "+1\u00005", ""]);
        if (random.Next(3) == 0) form[random.Next(2) == 0 ? "MessageSid" : "CallSid"] = Pick(["SM" + Guid.NewGuid().ToString("N"), "CA\u0000x", ""]);
        var encoded = random.Next(20) == 0
            ? "Body=%zz%&=&&From=%2B1%00" + new string('%', random.Next(5))
            : QueryHelpers.AddQueryString("", form).TrimStart('?');
        return (Encoding.UTF8.GetBytes(encoded), random.Next(10) == 0 ? Pick(ContentTypes) : "application/x-www-form-urlencoded");
    }

    private string ObjectJson(int depth)
    {
        var json = new StringBuilder("{");
        var count = random.Next(0, 6);
        for (var i = 0; i < count; i++)
        {
            if (i > 0) json.Append(',');
            json.Append(JsonString(random.Next(10) == 0 ? Scalar() : Pick(Names))).Append(':').Append(Value(depth + 1));
        }

        return json.Append('}').ToString();
    }

    private string Json(int depth) => random.Next(3) == 0 ? Value(depth) : ObjectJson(depth);

    private string Value(int depth) => (depth > 6 ? random.Next(6) : random.Next(10)) switch
    {
        0 => "null",
        1 => Number(),
        2 => random.Next(2) == 0 ? "true" : "false",
        3 or 4 or 5 => JsonString(Scalar()),
        6 or 7 => ObjectJson(depth),
        _ => "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Value(depth + 1))) + "]",
    };

    private string Number() => Pick(
    [
        "0", "-1", "1", "42", "-2147483649", "2147483648", "9223372036854775808", "-9223372036854775809", "1e309", "-1e309", "1.5",
        "99999999999999999999999999999999", "253402300800", "-62135596801", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), "-0", "0.0000001", "1E+2",
    ]);

    private string Scalar() => random.Next(14) switch
    {
        0 => "",
        1 => "a\0b",
        2 => "\0",
        3 => new string('z', random.Next(1000, 6000)),
        4 => Pick(["general", "billing", "agent-1", "available", "away", "offline", "sms", "whatsapp", "telegram", "voice", "agent", "bot"]),
        5 => Pick(["+15551234567", "whatsapp:+15551234567", "+1", "12345", "not a number"]),
        6 => Pick(["00:00:-1", "-00:00:01", "10675199.02:48:05.4775807", "P1D", "00:10:00", "2026-13-45T25:61:00Z", "9999-12-31T23:59:59Z"]),
        7 => Pick(["😀", "ä€", "\u202Eabc", "\uFEFF", "\t\r\n", "<script>", "' or 1=1 --", "%00", "../../etc/passwd"]),
        8 => Guid.NewGuid().ToString(),
        9 => knownIds.Count > 0 ? Pick(knownIds) : "x",
        10 => Number(),
        11 => "\uD800",
        _ => "word" + random.Next(100).ToString(CultureInfo.InvariantCulture),
    };

    private static string JsonString(string value)
    {
        var json = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case < ' ' or (>= '\uD800' and <= '\uDFFF'): json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }

        return json.Append('"').ToString();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>Every route the app maps (new ones are covered without touching this test), minus those that are not request-answer.</summary>
    public static IReadOnlyList<AppRoute> Routes(IEnumerable<EndpointDataSource> sources) =>
        sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            // Server-sent event streams never end: they are not request-answer routes.
            .Where(e => !e.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
                .Any(p => p.ContentTypes.Contains("text/event-stream")))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"]).Select(m => new AppRoute(m, e.RoutePattern)))
            .Where(r => r.Template is not "/api/live" && !r.Template.StartsWith("/hangfire", StringComparison.Ordinal))
            .DistinctBy(r => r.ToString())
            .OrderBy(r => r.ToString(), StringComparer.Ordinal)
            .ToList();
}
