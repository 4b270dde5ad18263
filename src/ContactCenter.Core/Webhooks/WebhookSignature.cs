using System.Security.Cryptography;
using System.Text;

namespace ContactCenter.Core.Webhooks;

/// <summary>
/// Standard Webhooks signing (standardwebhooks.com): <c>v1,</c> + base64 HMAC-SHA256 over
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the secret's decoded bytes.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    public static string EncodeSecret(byte[] key) => SecretPrefix + Convert.ToBase64String(key);

    public static byte[] DecodeSecret(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);

    public static string Sign(byte[] key, string webhookId, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}")));

    /// <summary>A receiver's check: any of the space-separated <c>v1,</c> signatures matches, in constant time.</summary>
    public static bool Verify(byte[] key, string webhookId, long timestamp, string body, string signatureHeader)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(key, webhookId, timestamp, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }
}
