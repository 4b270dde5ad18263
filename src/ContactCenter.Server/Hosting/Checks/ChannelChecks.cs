using System.Text.RegularExpressions;
using ContactCenter.Channels.Meta;
using ContactCenter.Channels.Telegram;
using ContactCenter.Channels.Twilio;
using ContactCenter.Channels.Twilio.Voice;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Hosting.Checks;

/// <summary><c>Twilio:*</c>: both credentials or none; in Production the public URL Twilio signs must be https.</summary>
internal sealed class TwilioChecks(IHostEnvironment environment) : IValidateOptions<TwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions o)
    {
        var errors = new KeyErrors()
            .Together("Twilio can neither be called nor its webhook signatures checked",
                ("Twilio:AccountSid", o.AccountSid), ("Twilio:AuthToken", o.AuthToken))
            .Url("Twilio:ApiBaseUrl", o.ApiBaseUrl, required: true)
            .Positive("Twilio:RequestTimeout", o.RequestTimeout);
        // Behind the proxy or tunnel Twilio calls, the signature is over this URL; plain http would carry the
        // signed requests (and agents' replies) in the clear.
        if (environment.IsProduction() && o.HasCredentials)
            errors.Url("Twilio:PublicBaseUrl", o.PublicBaseUrl, required: true, httpsOnly: true);
        else
            errors.Url("Twilio:PublicBaseUrl", o.PublicBaseUrl);
        return errors.Result;
    }
}

internal sealed class VoiceChecks : IValidateOptions<VoiceOptions>
{
    public ValidateOptionsResult Validate(string? name, VoiceOptions o)
    {
        var errors = new KeyErrors()
            .Url("Twilio:Voice:HoldMusicUrl", o.HoldMusicUrl)
            .Positive("Twilio:Voice:AgentRingTimeout", o.AgentRingTimeout)
            .Positive("Twilio:Voice:HoldPause", o.HoldPause)
            .Positive("Twilio:Voice:CallbackMaxAttempts", o.CallbackMaxAttempts)
            .Positive("Twilio:Voice:CallbackRetryBaseDelay", o.CallbackRetryBaseDelay)
            .Positive("Twilio:Voice:CallbackRetryMaxDelay", o.CallbackRetryMaxDelay);
        if (o.CallbackRetryMaxDelay < o.CallbackRetryBaseDelay)
            errors.Add("Twilio:Voice:CallbackRetryMaxDelay", $"must not be less than Twilio:Voice:CallbackRetryBaseDelay ({o.CallbackRetryBaseDelay}).");
        return errors.Result;
    }
}

/// <summary><c>Telegram:*</c>: a bot token without the webhook secret would send but refuse every update (403).</summary>
internal sealed partial class TelegramChecks : IValidateOptions<TelegramOptions>
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretPattern();

    public ValidateOptionsResult Validate(string? name, TelegramOptions o)
    {
        var errors = new KeyErrors()
            .Together("the bot sends with the token and accepts updates only with the secret",
                ("Telegram:BotToken", o.BotToken), ("Telegram:WebhookSecret", o.WebhookSecret))
            .Url("Telegram:ApiBaseUrl", o.ApiBaseUrl, required: true)
            .Positive("Telegram:PerChatInterval", o.PerChatInterval)
            .Positive("Telegram:MessagesPerSecond", o.MessagesPerSecond)
            .NotNegative("Telegram:MaxPacingWait", o.MaxPacingWait)
            .Positive("Telegram:RequestTimeout", o.RequestTimeout);
        if (!string.IsNullOrWhiteSpace(o.WebhookSecret) && !SecretPattern().IsMatch(o.WebhookSecret))
            errors.Add("Telegram:WebhookSecret", "must be 1–256 of A-Z a-z 0-9 _ - (Telegram refuses other secrets).");
        return errors.Result;
    }
}

/// <summary><c>Meta:*</c>: receiving needs the app secret and the verify token; sending needs the page token too.</summary>
internal sealed partial class MetaChecks : IValidateOptions<MetaOptions>
{
    [GeneratedRegex(@"^v\d+\.\d+$")]
    private static partial Regex VersionPattern();

    public ValidateOptionsResult Validate(string? name, MetaOptions o)
    {
        var errors = new KeyErrors()
            .Together("Meta's subscription check needs the verify token and every webhook is signed with the app secret",
                ("Meta:AppSecret", o.AppSecret), ("Meta:VerifyToken", o.VerifyToken))
            .Url("Meta:GraphBaseUrl", o.GraphBaseUrl, required: true)
            .Positive("Meta:RequestTimeout", o.RequestTimeout)
            .Positive("Meta:MaxWebhookBytes", o.MaxWebhookBytes);
        if (!string.IsNullOrWhiteSpace(o.PageAccessToken) && string.IsNullOrWhiteSpace(o.AppSecret))
            errors.Add("Meta:AppSecret", "is missing while Meta:PageAccessToken is set: replies could be sent but no customer message received.");
        if (!VersionPattern().IsMatch(o.GraphApiVersion ?? ""))
            errors.Add("Meta:GraphApiVersion", $"must look like v25.0 (is '{o.GraphApiVersion}').");
        return errors.Result;
    }
}
