namespace ContactCenter.Channels.Meta;

/// <summary>The <c>Meta</c> configuration section (shared/CONTRACT.md): Messenger and Instagram.</summary>
public sealed class MetaOptions
{
    public const string Section = "Meta";

    /// <summary>Checks <c>X-Hub-Signature-256</c> on every webhook POST. Never logged.</summary>
    public string? AppSecret { get; set; }

    /// <summary>The token Meta echoes in the subscription check (<c>hub.verify_token</c>).</summary>
    public string? VerifyToken { get; set; }

    /// <summary>The page's access token for the Send API (rides in the query string: never logged).</summary>
    public string? PageAccessToken { get; set; }

    public string GraphBaseUrl { get; set; } = "https://graph.facebook.com";

    public string GraphApiVersion { get; set; } = "v25.0";

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Webhook bodies larger than this are refused (413); Meta's batches are far smaller.</summary>
    public int MaxWebhookBytes { get; set; } = 1024 * 1024;

    public bool CanSend => !string.IsNullOrWhiteSpace(PageAccessToken);
}
