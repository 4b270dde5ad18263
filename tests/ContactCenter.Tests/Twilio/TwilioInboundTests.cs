using System.Net;
using System.Text;
using ContactCenter.Channels.Twilio;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Twilio;

public class TwilioInboundTests(TwilioFixture fx) : IClassFixture<TwilioFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<System.Text.Json.Nodes.JsonArray> EventsAsync(Guid conversation) =>
        (await fx.App.Agent().GetJsonAsync($"/api/conversations/{conversation}/events")).AsArray();

    [Fact]
    public async Task AnInboundSmsMakesACustomerAConversationAndATimelineEvent()
    {
        var form = TwilioRequests.Sms("Where is my order?");
        await fx.ReceiveAsync(form);

        var customer = await fx.CustomerAsync("sms", TwilioRequests.Customer);
        var identity = Assert.Single(customer["identities"]!.AsArray())!;
        Assert.Equal("sms", identity["channel"]!.GetValue<string>());
        Assert.Equal(TwilioRequests.Customer, identity["address"]!.GetValue<string>());
        Assert.False(identity["optedOut"]!.GetValue<bool>());

        var conversation = await fx.ConversationAsync("sms");
        var received = Assert.Single(await EventsAsync(conversation))!;
        Assert.Equal("message.received", received["type"]!.GetValue<string>());
        Assert.Equal("inbound", received["direction"]!.GetValue<string>());
        Assert.Equal("Where is my order?", received["text"]!.GetValue<string>());
        Assert.Equal(form.Single(p => p.Key == "MessageSid").Value, received["providerId"]!.GetValue<string>());
        Assert.Equal(TwilioFixture.CompanyNumber, received["data"]!["to"]!.GetValue<string>());
        Assert.Equal(1, received["data"]!["segments"]!.GetValue<int>());
        Assert.Equal(TwilioFixture.CompanyNumber,
            await ScalarAsync<string>("select company_address from conversations where id = $1", conversation));
    }

    [Fact]
    public async Task WhatsAppFromTheSameNumberIsTheSameCustomerAndNamesThem()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("Hi by SMS"));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Hi on WhatsApp", profileName: "Ada Lovelace"));

        var bySms = await fx.CustomerAsync("sms", TwilioRequests.Customer);
        var byWhatsApp = await fx.CustomerAsync("whatsapp", TwilioRequests.Customer);
        Assert.Equal(bySms["id"]!.GetValue<string>(), byWhatsApp["id"]!.GetValue<string>());
        Assert.Equal("Ada Lovelace", byWhatsApp["name"]!.GetValue<string>());
        Assert.Equal(["sms", "whatsapp"], byWhatsApp["identities"]!.AsArray().Select(i => i!["channel"]!.GetValue<string>()).Order());
        Assert.All(byWhatsApp["identities"]!.AsArray(), i => Assert.Equal(TwilioRequests.Customer, i!["address"]!.GetValue<string>()));

        var conversation = await fx.ConversationAsync("whatsapp");
        var received = Assert.Single(await EventsAsync(conversation))!;
        Assert.Equal("whatsapp", received["channel"]!.GetValue<string>());
        Assert.Equal("Hi on WhatsApp", received["text"]!.GetValue<string>());
        Assert.Equal("Ada Lovelace", received["data"]!["profileName"]!.GetValue<string>());
        Assert.Equal("14155550100", received["data"]!["waId"]!.GetValue<string>());
        // The WhatsApp sender, stored without its transport prefix, is where replies will come from.
        Assert.Equal(TwilioFixture.WhatsAppSender,
            await ScalarAsync<string>("select company_address from conversations where id = $1", conversation));
    }

    [Fact]
    public async Task MediaLocationAndButtonRepliesAreOnTheEvent()
    {
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("").With("NumMedia", "2")
            .With("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1").With("MediaContentType0", "image/jpeg")
            .With("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2").With("MediaContentType1", "application/pdf"));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("").With("Latitude", "37.7749").With("Longitude", "-122.4194")
            .With("Address", "1 Market St").With("Label", "Office"));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Billing").With("ButtonText", "Billing").With("ButtonPayload", "menu.billing"));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Store hours").With("ListId", "hours").With("ListTitle", "Store hours"));

        var events = await EventsAsync(await fx.ConversationAsync("whatsapp"));
        Assert.Equal(4, events.Count);
        var media = events[0]!["data"]!["media"]!.AsArray();
        Assert.Equal(["image/jpeg", "application/pdf"], media.Select(m => m!["contentType"]!.GetValue<string>()));
        Assert.EndsWith("/Media/ME2", media[1]!["url"]!.GetValue<string>());
        Assert.Null(events[0]!["text"]);

        var location = events[1]!["data"]!["location"]!;
        Assert.Equal(37.7749, location["latitude"]!.GetValue<double>());
        Assert.Equal(-122.4194, location["longitude"]!.GetValue<double>());
        Assert.Equal("1 Market St", location["address"]!.GetValue<string>());
        Assert.Equal("Office", location["label"]!.GetValue<string>());

        Assert.Equal("menu.billing", events[2]!["data"]!["choice"]!["id"]!.GetValue<string>());
        Assert.Equal("Billing", events[2]!["data"]!["choice"]!["title"]!.GetValue<string>());
        Assert.Equal("Billing", events[2]!["text"]!.GetValue<string>());
        Assert.Equal("hours", events[3]!["data"]!["choice"]!["id"]!.GetValue<string>());
        Assert.Equal("Store hours", events[3]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheSameMessageSidThreeTimesAtOnceIsOneEvent()
    {
        var form = TwilioRequests.Sms("Sent once, delivered thrice");
        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => fx.PostMessageAsync(form)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var sid = form.Single(p => p.Key == "MessageSid").Value;
        Assert.Equal(1L, await fx.CountAsync("select count(*) from timeline_events where provider_id = $1", sid));
        Assert.Equal(1L, await fx.CountAsync("select count(*) from customers"));
        Assert.Equal(1L, await fx.CountAsync("select count(*) from conversations"));

        // And once more later, as Twilio's own retry would.
        await fx.ReceiveAsync(form);
        Assert.Equal(1L, await fx.CountAsync("select count(*) from timeline_events"));
    }

    public static TheoryData<string> Forgeries => new() { "missing", "wrong token", "tampered body", "request host", "other path" };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task ABadOrMissingSignatureIs403AndStoresNothing(string forgery)
    {
        var form = TwilioRequests.Sms("Let me in");
        const string path = "/webhooks/twilio/messaging";
        var request = forgery switch
        {
            "missing" => new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) },
            "wrong token" => TwilioRequests.Signed(TwilioFixture.PublicBase, path, form, token: "not-the-auth-token"),
            // Signed for the service's own host: behind the proxy only the public URL counts, whatever Host says.
            "request host" => TwilioRequests.Signed("http://localhost", path, form),
            "other path" => Retarget(TwilioRequests.Signed(TwilioFixture.PublicBase, "/webhooks/twilio/messaging/status", form), path),
            _ => TwilioRequests.Signed(TwilioFixture.PublicBase, path, form),
        };
        if (forgery == "tampered body") request.Content = new FormUrlEncodedContent(form.With("Body", "Let me in, now"));

        var response = await fx.App.CreateClient().SendAsync(request);
        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("X-Twilio-Signature", problem["detail"]!.GetValue<string>());
        Assert.Equal(0L, await fx.CountAsync("select count(*) from customers"));
        Assert.Equal(0L, await fx.CountAsync("select count(*) from timeline_events"));
    }

    private static HttpRequestMessage Retarget(HttpRequestMessage request, string path)
    {
        request.RequestUri = new Uri(path, UriKind.Relative);
        return request;
    }

    public static TheoryData<string> Malformed => new()
    {
        "no From", "no MessageSid", "NumMedia=abc", "NumMedia=-1", "NumMedia=11", "missing MediaUrl1", "MediaUrl not a URL",
        "From not a phone number", "100 kB body", "Body over 4096 characters", "Latitude without Longitude", "not a form",
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedFormsAre400AndStoreNothing(string malformation)
    {
        var form = TwilioRequests.Sms("hello");
        HttpRequestMessage? request = null;
        switch (malformation)
        {
            case "no From": form.Without("From"); break;
            case "no MessageSid": form.Without("MessageSid", "SmsMessageSid", "SmsSid"); break;
            case "NumMedia=abc": form.With("NumMedia", "abc"); break;
            case "NumMedia=-1": form.With("NumMedia", "-1"); break;
            case "NumMedia=11": form.With("NumMedia", "11"); break;
            case "missing MediaUrl1": form.With("NumMedia", "2").With("MediaUrl0", "https://api.twilio.com/m/1"); break;
            case "MediaUrl not a URL": form.With("NumMedia", "1").With("MediaUrl0", "javascript:alert(1)"); break;
            case "From not a phone number": form.With("From", "whatsapp:hello"); break;
            case "100 kB body": form.With("Body", new string('a', 100 * 1024)); break;
            case "Body over 4096 characters": form.With("Body", new string('b', 4097)); break;
            case "Latitude without Longitude": form.With("Latitude", "37.7"); break;
            case "not a form":
                request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/messaging")
                {
                    Content = new StringContent("""{"MessageSid":"SM1"}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(TwilioFake.AuthToken, TwilioFixture.PublicBase + "/webhooks/twilio/messaging"));
                break;
        }

        request ??= TwilioRequests.Signed(TwilioFixture.PublicBase, "/webhooks/twilio/messaging", form);
        var response = await fx.App.CreateClient().SendAsync(request);
        await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0L, await fx.CountAsync("select count(*) from customers"));
        Assert.Equal(0L, await fx.CountAsync("select count(*) from timeline_events"));
    }

    [Fact]
    public async Task AJsonBodyIsCheckedByItsHash()
    {
        // Twilio signs JSON bodies on the URL and puts the body's SHA-256 in it: the filter checks both.
        var body = """{"MessageSid":"SM1","From":"+14155550100"}""";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var path = $"/webhooks/twilio/messaging?bodySHA256={hash}";
        HttpRequestMessage Request(string content)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(content, Encoding.UTF8, "application/json") };
            request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(TwilioFake.AuthToken, TwilioFixture.PublicBase + path));
            return request;
        }

        var client = fx.App.CreateClient();
        await (await client.SendAsync(Request(body.Replace("SM1", "SM2")))).ProblemAsync(HttpStatusCode.Forbidden);
        // Through the filter; the messaging handler then finds no form parameters.
        await (await client.SendAsync(Request(body))).ProblemAsync(HttpStatusCode.BadRequest);
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (T)(await connection.Sql(sql, args).ExecuteScalarAsync())!;
    }
}

/// <summary>Without Twilio:PublicBaseUrl the request's own URL is what Twilio signed (no proxy in between).</summary>
public class TwilioDirectSignatureTests(TwilioDirectFixture fx) : IClassFixture<TwilioDirectFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("http://localhost")]
    [InlineData("http://localhost:80")]
    public async Task TheRequestUrlWithOrWithoutTheDefaultPortIsAccepted(string signedBase)
    {
        var response = await fx.App.CreateClient().SendAsync(TwilioRequests.Signed(signedBase, "/webhooks/twilio/messaging", TwilioRequests.Sms("direct")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1L, await fx.CountAsync("select count(*) from timeline_events"));
    }

    [Fact]
    public async Task ThePublicUrlOfAnotherDeploymentIsNot()
    {
        var response = await fx.App.CreateClient().SendAsync(
            TwilioRequests.Signed(TwilioFixture.PublicBase, "/webhooks/twilio/messaging", TwilioRequests.Sms("elsewhere")));
        await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0L, await fx.CountAsync("select count(*) from timeline_events"));
    }
}
