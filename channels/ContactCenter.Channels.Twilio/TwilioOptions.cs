namespace ContactCenter.Channels.Twilio;

/// <summary>The "Twilio" configuration section (shared/CONTRACT.md).</summary>
public sealed class TwilioOptions
{
    public const string Section = "Twilio";

    public string? AccountSid { get; set; }
    /// <summary>Authenticates REST calls and checks <c>X-Twilio-Signature</c>. A secret: never logged.</summary>
    public string? AuthToken { get; set; }
    public string ApiBaseUrl { get; set; } = "https://api.twilio.com";
    /// <summary>SMS sender when a conversation has no company number of its own.</summary>
    public string? PhoneNumber { get; set; }
    /// <summary>WhatsApp sender (with or without the <c>whatsapp:</c> prefix) when a conversation has none.</summary>
    public string? WhatsAppNumber { get; set; }
    /// <summary>Used when no sender number is known or configured: Twilio picks a number of the service.</summary>
    public string? MessagingServiceSid { get; set; }
    /// <summary>
    /// The service's URL as Twilio calls it (scheme, host, port and any path prefix a proxy strips). Request
    /// signatures are checked against it instead of the Host header, and status callback URLs are built on it.
    /// </summary>
    public string? PublicBaseUrl { get; set; }
    /// <summary>One REST call's limit; a call that takes longer counts as a temporary failure.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An API key (SK…) that signs agents' voice access tokens; with <see cref="ApiKeySecret"/>.</summary>
    public string? ApiKeySid { get; set; }
    /// <summary>The API key's secret. A secret: never logged, never sent to a browser.</summary>
    public string? ApiKeySecret { get; set; }

    public bool HasCredentials => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken);

    /// <summary>The public base URL without a trailing slash, or null when unset.</summary>
    public string? PublicBase => string.IsNullOrWhiteSpace(PublicBaseUrl) ? null : PublicBaseUrl.Trim().TrimEnd('/');
}
