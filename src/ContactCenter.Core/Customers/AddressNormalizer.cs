using System.Text.RegularExpressions;
using ContactCenter.Core.Channels;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace ContactCenter.Core.Customers;

public sealed class AddressOptions
{
    /// <summary>ISO 3166 region used to read national-format phone numbers ("(415) 555-0100").</summary>
    public string DefaultRegion { get; set; } = "US";
}

/// <summary>A channel address that cannot be normalized: the caller gets 400 with this message.</summary>
public sealed class InvalidAddressException(Channel channel, string message)
    : BadInputException($"Invalid {channel.ToName()} address: {message}")
{
    public Channel Channel { get; } = channel;
}

/// <summary>
/// Turns a provider's address into the one form that is stored and compared (shared/CONTRACT.md):
/// E.164 for phone channels (the <c>whatsapp:</c> prefix is transport, not address), numeric ids for
/// Telegram and Meta.
/// </summary>
public sealed partial class AddressNormalizer(IOptions<AddressOptions> options)
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private readonly string _region = options.Value.DefaultRegion.ToUpperInvariant();

    public string Normalize(Channel channel, string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var value = raw.Trim();
        if (value.Length == 0) throw new InvalidAddressException(channel, "it is empty.");
        if (value.Length > 256) throw new InvalidAddressException(channel, "it is too long.");
        return channel switch
        {
            Channel.Voice or Channel.Sms or Channel.WhatsApp => NormalizePhone(channel, value),
            Channel.Telegram => Numeric(channel, value, TelegramId(), "a Telegram user id is a number"),
            Channel.Messenger or Channel.Instagram => Numeric(channel, value, MetaId(), "a page- or Instagram-scoped id is a number"),
            Channel.Email => NormalizeEmail(value),
            _ => value,
        };
    }

    public bool TryNormalize(Channel channel, string raw, out string normalized)
    {
        try
        {
            normalized = Normalize(channel, raw);
            return true;
        }
        catch (InvalidAddressException)
        {
            normalized = "";
            return false;
        }
    }

    private string NormalizePhone(Channel channel, string value)
    {
        foreach (var prefix in (string[])["whatsapp:", "sms:", "tel:"])
        {
            if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                value = value[prefix.Length..].Trim();
                break;
            }
        }

        // "00" is the international prefix in most of the world; libphonenumber only knows it for
        // regions that dial it, so a US-default service would otherwise refuse "00 44 20 ...".
        var compact = NonDialable().Replace(value, "");
        if (compact.StartsWith("00", StringComparison.Ordinal) && compact.Length > 4)
            value = "+" + compact[2..];

        PhoneNumber number;
        try
        {
            number = Phones.Parse(value, _region);
        }
        catch (NumberParseException e)
        {
            throw new InvalidAddressException(channel, $"not a phone number ({e.ErrorType}).");
        }

        // "Possible" (a plausible length for the country) rather than "valid": providers deliver real
        // numbers from ranges newer than libphonenumber's metadata, and refusing those would lose messages.
        if (!Phones.IsPossibleNumber(number))
            throw new InvalidAddressException(channel, "not a possible phone number for its country.");
        return Phones.Format(number, PhoneNumberFormat.E164);
    }

    private static string Numeric(Channel channel, string value, Regex pattern, string hint) =>
        pattern.IsMatch(value) ? value : throw new InvalidAddressException(channel, hint + ".");

    private static string NormalizeEmail(string value)
    {
        var at = value.LastIndexOf('@');
        if (at <= 0 || at == value.Length - 1) throw new InvalidAddressException(Channel.Email, "not an email address.");
        // The local part is case-sensitive in theory, never in practice; the domain always is insensitive.
        return value.ToLowerInvariant();
    }

    [GeneratedRegex(@"[\s\-\.\(\)/]")]
    private static partial Regex NonDialable();

    [GeneratedRegex(@"^-?[0-9]{1,20}$")]
    private static partial Regex TelegramId();

    [GeneratedRegex(@"^[0-9]{1,32}$")]
    private static partial Regex MetaId();
}
