namespace ContactCenter.Channels.Twilio.Voice;

/// <summary>Voice settings under <c>Twilio:Voice</c> (docs/voice.md).</summary>
public sealed class VoiceOptions
{
    public const string Section = "Twilio:Voice";

    /// <summary>What a waiting caller hears between announcements (an MP3 or WAV URL Twilio can fetch); none: silence.</summary>
    public string? HoldMusicUrl { get; set; }
    /// <summary>Twilio text-to-speech voice (e.g. <c>Polly.Joanna</c>); none: Twilio's default for the language.</summary>
    public string? TextToSpeechVoice { get; set; }
    /// <summary>How long an agent's client rings before the caller goes back to the queue.</summary>
    public TimeSpan AgentRingTimeout { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>Silence between announcements when no hold music is configured.</summary>
    public TimeSpan HoldPause { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>Whether the wait loop offers "press 1 to be called back" (never to a withheld number).</summary>
    public bool OfferCallbackWhileWaiting { get; set; } = true;
    /// <summary>Attempts to place a callback with the Calls API (429 and 5xx are retried with backoff).</summary>
    public int CallbackMaxAttempts { get; set; } = 5;
    public TimeSpan CallbackRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan CallbackRetryMaxDelay { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>The TwiML App whose voice URL is <c>/webhooks/twilio/voice/outbound</c>: agents' own calls go through it.</summary>
    public string? TwimlAppSid { get; set; }
    /// <summary>How long an agent's voice access token is valid; the softphone fetches a new one before it runs out.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Record agents' calls (both parties, on two channels); recordings are on the timeline.</summary>
    public bool Record { get; set; }
}
