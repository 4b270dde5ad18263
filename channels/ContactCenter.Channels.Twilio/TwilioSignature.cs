using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace ContactCenter.Channels.Twilio;

/// <summary>
/// Twilio's request signature (<c>X-Twilio-Signature</c>): Base64 HMAC-SHA1, keyed with the auth token, of the
/// URL Twilio requested followed by every form parameter (names sorted, each value of a repeated name, values
/// sorted). JSON bodies are signed on the URL alone, which carries the body's SHA-256 as <c>bodySHA256</c>.
/// Rules and test vectors: shared/reference/PROVIDERS.md.
/// </summary>
public sealed class TwilioSignature(string authToken)
{
    public const string Header = "X-Twilio-Signature";
    public const string BodyHashParameter = "bodySHA256";

    private readonly byte[] _key = Encoding.UTF8.GetBytes(authToken);

    /// <summary>The signature Twilio sends for a request to <paramref name="url"/> with these form parameters.</summary>
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, StringValues>>? parameters = null) =>
        Convert.ToBase64String(Hash(Encoding.UTF8.GetBytes(authToken), url, parameters));

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters) =>
        Compute(authToken, url, parameters.GroupBy(p => p.Key, StringComparer.Ordinal)
            .Select(g => new KeyValuePair<string, StringValues>(g.Key, g.Select(p => p.Value).ToArray())));

    /// <summary>
    /// True when <paramref name="signature"/> signs the URL (as given, or with its default port added or
    /// removed, as every official validator accepts) and all the parameters. Compared in constant time.
    /// </summary>
    public bool IsValid(string url, IEnumerable<KeyValuePair<string, StringValues>>? parameters, string? signature)
    {
        if (string.IsNullOrWhiteSpace(signature) || signature.Length > 64) return false;
        // The canonical Base64 text is compared, as Twilio's own validators do: a variant spelling of the same
        // bytes (non-zero padding bits) is not what Twilio sends.
        var provided = Encoding.ASCII.GetBytes(signature.Trim());
        var materialized = parameters?.ToList();
        var valid = false;
        // Every form is checked (no early exit), so the time taken does not say which form came closest.
        foreach (var form in UrlForms(url))
            valid |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToBase64String(Hash(_key, form, materialized))), provided);
        return valid;
    }

    /// <summary>A JSON (or other non-form) body: the URL alone is signed, and its bodySHA256 must hash the raw body.</summary>
    public bool IsValidWithBody(string url, ReadOnlySpan<byte> body, string? signature)
    {
        if (!IsValid(url, null, signature)) return false;
        if (QueryValue(url, BodyHashParameter) is not { Length: 64 } hex) return false;
        byte[] expected;
        try
        {
            expected = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(body), expected);
    }

    private static byte[] Hash(byte[] key, string url, IEnumerable<KeyValuePair<string, StringValues>>? parameters)
    {
        var data = new StringBuilder(url.Length + 256).Append(WithoutFragment(url));
        if (parameters is not null)
        {
            foreach (var (name, values) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var sorted = values.ToArray();
                Array.Sort(sorted, StringComparer.Ordinal);
                foreach (var value in sorted) data.Append(name).Append(value);
            }
        }

        return HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(data.ToString()));
    }

    /// <summary>The URL as given and with its default port toggled (added when absent, removed when present).</summary>
    internal static IReadOnlyList<string> UrlForms(string url)
    {
        url = WithoutFragment(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return [url];
        var scheme = url[..schemeEnd].ToLowerInvariant();
        var defaultPort = scheme switch { "https" => "443", "http" => "80", _ => null };
        if (defaultPort is null) return [url];

        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?'], authorityStart);
        if (authorityEnd < 0) authorityEnd = url.Length;
        var authority = url[authorityStart..authorityEnd];
        var hostStart = authority.LastIndexOf('@') + 1;
        var closingBracket = authority.LastIndexOf(']');
        var colon = authority.LastIndexOf(':');
        var hasPort = colon >= hostStart && colon > closingBracket;

        string other;
        if (!hasPort)
            other = url[..authorityEnd] + ":" + defaultPort + url[authorityEnd..];
        else if (authority[(colon + 1)..] == defaultPort)
            other = url[..(authorityStart + colon)] + url[authorityEnd..];
        else
            return [url];
        return [url, other];
    }

    private static string WithoutFragment(string url)
    {
        var hash = url.IndexOf('#');
        return hash < 0 ? url : url[..hash];
    }

    private static string? QueryValue(string url, string name)
    {
        url = WithoutFragment(url);
        var question = url.IndexOf('?');
        if (question < 0) return null;
        foreach (var pair in url[(question + 1)..].Split('&'))
        {
            var equals = pair.IndexOf('=');
            if (equals > 0 && pair[..equals] == name) return Uri.UnescapeDataString(pair[(equals + 1)..]);
        }

        return null;
    }
}
