using System.Text.Json.Nodes;

namespace ContactCenter.Core.Inbound;

/// <summary>
/// PostgreSQL refuses U+0000 in <c>text</c> and <c>jsonb</c>, so a NUL in a provider's payload would fail every
/// retry of it and the customer's message could never be stored. Provider payloads lose their NULs and keep the
/// rest; our own API refuses them instead (400 naming the field).
/// </summary>
public static class ProviderText
{
    public static string? StripNul(string? value) =>
        value is null || !value.Contains('\0') ? value : value.Replace("\0", "", StringComparison.Ordinal);

    /// <summary>
    /// A JSON body with every <c>\u0000</c> escape inside its strings removed (raw JSON cannot carry a NUL any
    /// other way). The input is returned as is when it has none; it need not be valid JSON (the parser judges).
    /// </summary>
    public static byte[] StripNulEscapes(byte[] json)
    {
        if (json.AsSpan().IndexOf("\\u0000"u8) < 0) return json;
        var output = new List<byte>(json.Length);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (!inString)
            {
                if (b == (byte)'"') inString = true;
                output.Add(b);
                continue;
            }

            if (b == (byte)'"')
            {
                inString = false;
                output.Add(b);
            }
            else if (b == (byte)'\\' && i + 1 < json.Length)
            {
                if (json[i + 1] == (byte)'u' && i + 5 < json.Length && json.AsSpan(i + 2, 4).SequenceEqual("0000"u8))
                {
                    i += 5;
                    continue;
                }

                // Any other escape (\\, \", \n, \uXXXX) is copied whole, so an escaped backslash before "u0000" stays text.
                output.Add(b);
                output.Add(json[++i]);
            }
            else
            {
                output.Add(b);
            }
        }

        return [.. output];
    }

    /// <summary>The event with NULs removed from every string it carries (the inbox's last line of defence).</summary>
    public static InboundEvent Clean(InboundEvent inbound)
    {
        if (!HasNul(inbound)) return inbound;
        return inbound with
        {
            Address = StripNul(inbound.Address)!,
            ProviderEventId = StripNul(inbound.ProviderEventId)!,
            DedupeKey = StripNul(inbound.DedupeKey),
            Text = StripNul(inbound.Text),
            CustomerName = StripNul(inbound.CustomerName),
            CompanyAddress = StripNul(inbound.CompanyAddress),
            OptOutReason = StripNul(inbound.OptOutReason),
            Media = [.. inbound.Media.Select(m => new MediaReference(StripNul(m.Url)!, StripNul(m.ContentType)))],
            Data = inbound.Data is null ? null : (JsonObject)Clean(inbound.Data.DeepClone())!,
        };
    }

    private static bool HasNul(InboundEvent e) =>
        new[] { e.Address, e.ProviderEventId, e.DedupeKey, e.Text, e.CustomerName, e.CompanyAddress, e.OptOutReason }
            .Any(s => s?.Contains('\0') == true)
        || e.Media.Any(m => m.Url.Contains('\0') || m.ContentType?.Contains('\0') == true)
        || e.Data?.ToJsonString().Contains("\\u0000", StringComparison.Ordinal) == true;

    private static JsonNode? Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var cleaned = new JsonObject();
                foreach (var (key, value) in obj.ToList())
                {
                    obj.Remove(key);
                    cleaned[StripNul(key)!] = Clean(value);
                }

                return cleaned;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    array[i] = null;
                    array[i] = Clean(item);
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text) && text.Contains('\0'):
                return JsonValue.Create(StripNul(text));
            default:
                return node;
        }
    }
}
