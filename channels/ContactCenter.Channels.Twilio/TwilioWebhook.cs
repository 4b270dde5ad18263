using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ContactCenter.Channels.Twilio;

/// <summary>What every handler under <c>/webhooks/twilio</c> shares.</summary>
public static class TwilioWebhook
{
    public const string Prefix = "/webhooks/twilio";

    /// <summary>
    /// The request's parameters, as parsed and checked by the signature filter. Handlers take them from here
    /// (never through [FromForm] binding, which would read the body before the filter has checked it).
    /// </summary>
    public static IFormCollection Parameters(HttpContext http) => http.Features.Get<IFormFeature>()?.Form ?? FormCollection.Empty;
}

/// <summary>Twilio error codes the service acts on, and words for the ones status callbacks carry without a message.</summary>
public static class TwilioErrors
{
    public const string InvalidTo = "21211";
    public const string Unsubscribed = "21610";
    public const string TooManyRequests = "20429";
    public const string OutsideWhatsAppWindow = "63016";

    public static string Describe(string code) => code switch
    {
        "21211" => "The 'To' number is not a valid phone number.",
        "21610" => "The recipient replied STOP: messages to this number are blocked until they reply START.",
        "30001" => "Queue overflow: Twilio could not send the message in time.",
        "30002" => "The account was suspended.",
        "30003" => "Unreachable destination handset.",
        "30004" => "Message blocked by the recipient or their carrier.",
        "30005" => "Unknown destination handset.",
        "30006" => "Landline or unreachable carrier.",
        "30007" => "Filtered by the carrier as spam.",
        "30008" => "Unknown delivery error.",
        "63016" => "Outside the WhatsApp 24-hour window: only an approved template can be sent.",
        _ => $"Twilio error {code}.",
    };
}
