using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Twilio;

/// <summary>The service with Twilio configured against the fake API, reached through a proxy at <see cref="PublicBase"/>.</summary>
public class TwilioFixture : AppFixture
{
    public const string PublicBase = "https://contact.example.test";
    public const string CompanyNumber = "+15005550006";
    public const string WhatsAppSender = "+14155238886";

    /// <summary>Generous: a loaded test machine must not turn a slow first answer into a retry.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public TwilioFake Twilio { get; } = new();

    protected virtual string? PublicBaseUrl => PublicBase;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Twilio:ApiBaseUrl"] = Twilio.Url,
        ["Twilio:PhoneNumber"] = CompanyNumber,
        ["Twilio:WhatsAppNumber"] = "whatsapp:" + WhatsAppSender,
        ["Twilio:PublicBaseUrl"] = PublicBaseUrl,
        ["Twilio:RequestTimeout"] = RequestTimeout.ToString(),
        ["Outbox:MaxAttempts"] = "4",
        ["Outbox:RetryBaseDelay"] = "00:00:00.100",
    };

    /// <summary>The base URL Twilio signs requests for.</summary>
    public string SigningBase => PublicBaseUrl ?? "http://localhost";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // One call through the service's REST client to the fake, so neither side's first-call start-up (JIT,
        // connections) lands inside a test's request timeout on a busy machine.
        await App.Service<TwilioRestClient>().CreateMessageAsync(
            new global::Twilio.Rest.Api.V2010.Account.CreateMessageOptions(new global::Twilio.Types.PhoneNumber("+15005550001")) { Body = "warm-up" }, CancellationToken.None);
        Twilio.Reset();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Twilio.Dispose();
    }
}

/// <summary>The same service without Twilio:PublicBaseUrl: signatures are checked against the request's own URL.</summary>
public sealed class TwilioDirectFixture : TwilioFixture
{
    protected override string? PublicBaseUrl => null;
}

/// <summary>Webhook requests as Twilio sends them: form posts signed with the auth token.</summary>
public static class TwilioRequests
{
    public const string Customer = "+14155550100";

    public static List<KeyValuePair<string, string>> Sms(string body, string from = Customer, string to = TwilioFixture.CompanyNumber, string? sid = null) =>
    [
        new("ToCountry", "US"), new("SmsMessageSid", sid ??= NewSid()), new("NumMedia", "0"), new("SmsSid", sid),
        new("SmsStatus", "received"), new("Body", body), new("To", to), new("NumSegments", "1"), new("MessageSid", sid),
        new("AccountSid", TwilioFake.AccountSid), new("From", from), new("ApiVersion", "2010-04-01"), new("FromCountry", "US"),
    ];

    public static List<KeyValuePair<string, string>> WhatsApp(string body, string from = Customer, string? profileName = null, string? sid = null)
    {
        var form = Sms(body, "whatsapp:" + from, "whatsapp:" + TwilioFixture.WhatsAppSender, sid);
        form.Add(new("WaId", from.TrimStart('+')));
        if (profileName is not null) form.Add(new("ProfileName", profileName));
        return form;
    }

    public static string NewSid() => "SM" + Guid.NewGuid().ToString("N");

    public static List<KeyValuePair<string, string>> With(this List<KeyValuePair<string, string>> form, string name, string value)
    {
        form.RemoveAll(p => p.Key == name);
        form.Add(new(name, value));
        return form;
    }

    public static List<KeyValuePair<string, string>> Without(this List<KeyValuePair<string, string>> form, params string[] names)
    {
        form.RemoveAll(p => names.Contains(p.Key));
        return form;
    }

    /// <summary>A form post to <paramref name="pathAndQuery"/>, signed for <paramref name="signedBase"/> + path.</summary>
    public static HttpRequestMessage Signed(string signedBase, string pathAndQuery, List<KeyValuePair<string, string>> form,
        string token = TwilioFake.AuthToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(token, signedBase + pathAndQuery, form));
        return request;
    }

    public static Task<HttpResponseMessage> PostMessageAsync(this TwilioFixture fx, List<KeyValuePair<string, string>> form) =>
        fx.App.CreateClient().SendAsync(Signed(fx.SigningBase, "/webhooks/twilio/messaging", form));

    public static Task<HttpResponseMessage> PostStatusAsync(this TwilioFixture fx, Guid? messageId, string sid, string status,
        string? errorCode = null, string to = Customer)
    {
        List<KeyValuePair<string, string>> form =
        [
            new("MessageSid", sid), new("SmsSid", sid), new("MessageStatus", status), new("SmsStatus", status),
            new("AccountSid", TwilioFake.AccountSid), new("From", TwilioFixture.CompanyNumber), new("To", to), new("ApiVersion", "2010-04-01"),
        ];
        if (errorCode is not null) form.Add(new("ErrorCode", errorCode));
        var path = "/webhooks/twilio/messaging/status" + (messageId is { } id ? $"?messageId={id}" : "");
        return fx.App.CreateClient().SendAsync(Signed(fx.SigningBase, path, form));
    }

    /// <summary>Posts an inbound message and expects Twilio's empty TwiML answer.</summary>
    public static async Task ReceiveAsync(this TwilioFixture fx, List<KeyValuePair<string, string>> form)
    {
        var response = await fx.PostMessageAsync(form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""<?xml version="1.0" encoding="utf-8"?><Response />""", body);
    }

    public static async Task<JsonNode> CustomerAsync(this TwilioFixture fx, string channel, string address) =>
        await fx.App.Agent().GetJsonAsync($"/api/customers?channel={channel}&address={Uri.EscapeDataString(address)}");

    public static async Task<Guid> ConversationAsync(this TwilioFixture fx, string channel, string address = Customer)
    {
        var customer = await fx.CustomerAsync(channel, address);
        var open = customer["openConversations"]!.AsArray().Single(c => c!["channel"]!.GetValue<string>() == channel)!;
        return Guid.Parse(open["id"]!.GetValue<string>());
    }

    public static async Task<long> CountAsync(this TwilioFixture fx, string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql, args).ExecuteScalarAsync())!;
    }
}
