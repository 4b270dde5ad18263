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
/// number) on another channel: the same person as on SMS or WhatsApp, and that e-mail becomes theirs on email. Nothing
/// unverified ever links anyone.
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

    /// <summary>The verified user's e-mail, normalized like an email identity; null when there is none (or not an address).</summary>
    public string? EmailOf(VisitorUser user) =>
        user.Email is { Length: > 0 and <= 254 } email && addresses.TryNormalize(Channel.Email, email.Trim(), out var normalized) ? normalized : null;

    /// <summary>Links the verified visitor's address to the customer with that e-mail, else that phone number; false when there is none.</summary>
    public async Task<bool> LinkAsync(string address, VisitorUser user, CancellationToken ct)
    {
        Guid? target = null;
        if (EmailOf(user) is { } normalizedEmail)
            target = await customers.FindByEmailAsync(normalizedEmail, ct);
        if (target is null && user.Phone is { Length: > 0 } phone && addresses.TryNormalize(Channel.Sms, phone, out var e164))
            target = await customers.FindByPhoneAsync(e164, ct);
        if (target is not { } customerId) return false;
        var outcome = await customers.LinkIdentityAsync(customerId, Channel.Webchat, address, Actor, ct);
        return outcome is null or MergeOutcome.Merged or MergeOutcome.AlreadyMerged;
    }

    /// <summary>
    /// Makes the e-mail the website vouched for the email identity of the visitor's customer (once that customer exists),
    /// so the same person's mail lands on them. Someone else holding it was found by <see cref="LinkAsync"/> already;
    /// should one have claimed it since, the vouched-for link merges them, as <see cref="LinkAsync"/> would have.
    /// </summary>
    public async Task RecordEmailAsync(Visitor visitor, CancellationToken ct)
    {
        if (!visitor.Verified || visitor.VerifiedEmail is not { } email) return;
        if (await customers.FindAsync(Channel.Webchat, visitor.Address, ct) is not { } customer) return;
        if (customer.Identities.Any(i => i.Channel == Channel.Email && i.Address == email)) return;
        await customers.LinkIdentityAsync(customer.Id, Channel.Email, email, Actor, ct);
    }
}
