using System.Security.Cryptography;
using System.Text;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using Microsoft.Extensions.Options;

namespace ContactCenter.Channels.Webchat;

/// <summary>What a website says about its signed-in user; only <c>userHash</c> makes any of it believable.</summary>
public sealed record VisitorUser(string UserId, string? Email, string? Name, string? Phone, string UserHash);

/// <summary>
/// Identified visitors: the website passes <c>userHash</c> = HMAC-SHA256(<c>Webchat:IdentitySecret</c>, userId) in hex,
/// which only it can compute. A verified visitor's webchat identity joins the customer who has that e-mail (or phone
/// number) on another channel: the same person as on SMS or WhatsApp. Nothing unverified ever links anyone.
/// </summary>
public sealed class VisitorIdentity(IOptionsMonitor<WebchatOptions> options, CustomerStore customers, AddressNormalizer addresses)
{
    public const string Actor = "webchat identity";

    public bool CanVerify => options.CurrentValue.IdentitySecret is { Length: > 0 };

    public bool Verify(string userId, string userHash)
    {
        if (options.CurrentValue.IdentitySecret is not { Length: > 0 } secret) return false;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(userId));
        byte[] given;
        try
        {
            given = Convert.FromHexString(userHash.Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>Links the verified visitor's address to the customer with that e-mail, else that phone number; false when there is none.</summary>
    public async Task<bool> LinkAsync(string address, VisitorUser user, CancellationToken ct)
    {
        Guid? target = null;
        if (user.Email is { Length: > 0 } email && addresses.TryNormalize(Channel.Email, email, out var normalizedEmail))
            target = await customers.FindByEmailAsync(normalizedEmail, ct);
        if (target is null && user.Phone is { Length: > 0 } phone && addresses.TryNormalize(Channel.Sms, phone, out var e164))
            target = await customers.FindByPhoneAsync(e164, ct);
        if (target is not { } customerId) return false;
        var outcome = await customers.LinkIdentityAsync(customerId, Channel.Webchat, address, Actor, ct);
        return outcome is null or MergeOutcome.Merged or MergeOutcome.AlreadyMerged;
    }
}
