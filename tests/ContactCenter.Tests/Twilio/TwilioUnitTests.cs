using System.Xml.Linq;
using ContactCenter.Channels.Twilio;
using ContactCenter.Channels.Twilio.Messaging;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Outbound;
using Twilio.Rest.Api.V2010.Account;
using Twilio.TwiML;
using Twilio.TwiML.Messaging;
using Twilio.TwiML.Voice;

namespace ContactCenter.Tests.Twilio;

public class TwimlTests
{
    [Fact]
    public void TheEmptyAnswerIsAnEmptyResponse() =>
        Assert.Equal("""<?xml version="1.0" encoding="utf-8"?><Response />""", TwimlWriter.Write(new MessagingResponse()));

    [Fact]
    public void AMessageReply() =>
        Assert.Equal("""<?xml version="1.0" encoding="utf-8"?><Response><Message>Thanks, we got it.</Message></Response>""",
            TwimlWriter.Write(new MessagingResponse().Message("Thanks, we got it.")));

    [Fact]
    public void TextAndAttributesAreEscaped()
    {
        var xml = TwimlWriter.Write(new MessagingResponse().Append(new Message("Tom & Jerry <3 \"quotes\" </Message><Hangup/>", to: "a\"b<c>&d")));
        Assert.Contains("Tom &amp; Jerry &lt;3 \"quotes\" &lt;/Message&gt;&lt;Hangup/&gt;", xml);
        var message = XDocument.Parse(xml).Root!.Element("Message")!;
        Assert.Equal("Tom & Jerry <3 \"quotes\" </Message><Hangup/>", message.Value);
        Assert.Equal("a\"b<c>&d", message.Attribute("to")!.Value);
        Assert.Single(XDocument.Parse(xml).Root!.Elements());
    }

    [Fact]
    public void CharactersXmlCannotCarryAreDroppedNotFatal()
    {
        var text = "bell\u0007 emoji 😀 lone\ud800 end";
        // The SDK's own writer refuses the whole answer over one such character.
        Assert.ThrowsAny<ArgumentException>(() => new MessagingResponse().Message(text).ToString(SaveOptions.DisableFormatting));

        var xml = TwimlWriter.Write(new MessagingResponse().Message(text));
        Assert.Equal("bell emoji 😀 lone end", XDocument.Parse(xml).Root!.Element("Message")!.Value);

        var voice = TwimlWriter.Write(new VoiceResponse().Append(new Gather(hints: "a\u0001b").Append(new Say("press\u001b 1", language: "en-US"))));
        var gather = XDocument.Parse(voice).Root!.Element("Gather")!;
        Assert.Equal("ab", gather.Attribute("hints")!.Value);
        Assert.Equal("press 1", gather.Element("Say")!.Value);
    }

    [Fact]
    public void MediaMakesBodyAndMediaNouns()
    {
        var reply = new Message();
        reply.Body("Your receipt");
        reply.Media(new Uri("https://cdn.example/r.pdf"));
        reply.Media(new Uri("https://cdn.example/a.png"));
        var root = XDocument.Parse(TwimlWriter.Write(new MessagingResponse().Append(reply))).Root!;
        var message = root.Element("Message")!;
        Assert.Equal("Your receipt", message.Element("Body")!.Value);
        Assert.Equal(["https://cdn.example/r.pdf", "https://cdn.example/a.png"], message.Elements("Media").Select(m => m.Value));
    }

    [Fact]
    public void VoiceVerbsNestAndFormatAttributes()
    {
        var gather = new Gather(numDigits: 1, actionOnEmptyResult: true, timeout: 5, action: new Uri("/webhooks/twilio/voice/gather?v=2", UriKind.Relative))
            .Append(new Say("Press 1 for billing.", language: "en-US"));
        var root = XDocument.Parse(TwimlWriter.Write(new VoiceResponse().Append(gather))).Root!;
        var written = root.Element("Gather")!;
        Assert.Equal("1", written.Attribute("numDigits")!.Value);
        Assert.Equal("true", written.Attribute("actionOnEmptyResult")!.Value);
        Assert.Equal("5", written.Attribute("timeout")!.Value);
        Assert.Equal("/webhooks/twilio/voice/gather?v=2", written.Attribute("action")!.Value);
        Assert.Null(written.Attribute("hints"));
        Assert.Equal("Press 1 for billing.", written.Element("Say")!.Value);
        Assert.Equal("en-US", written.Element("Say")!.Attribute("language")!.Value);
    }
}

public class MessagingRulesTests
{
    [Theory]
    [InlineData("STOP", MessagingKeyword.OptOut)]
    [InlineData(" stop ", MessagingKeyword.OptOut)]
    [InlineData("Stop.", MessagingKeyword.OptOut)]
    [InlineData("unsubscribe", MessagingKeyword.OptOut)]
    [InlineData("StopAll", MessagingKeyword.OptOut)]
    [InlineData("cancel", MessagingKeyword.OptOut)]
    [InlineData("END", MessagingKeyword.OptOut)]
    [InlineData("quit", MessagingKeyword.OptOut)]
    [InlineData("start", MessagingKeyword.OptIn)]
    [InlineData("YES", MessagingKeyword.OptIn)]
    [InlineData("unstop", MessagingKeyword.OptIn)]
    [InlineData("help", MessagingKeyword.Help)]
    [InlineData("INFO", MessagingKeyword.Help)]
    [InlineData("stop please", MessagingKeyword.None)]
    [InlineData("please stop", MessagingKeyword.None)]
    [InlineData("stopped", MessagingKeyword.None)]
    [InlineData("", MessagingKeyword.None)]
    public void SmsKeywordsAreWholeMessages(string body, MessagingKeyword expected) =>
        Assert.Equal(expected, MessagingKeywords.Classify(Channel.Sms, body));

    [Theory]
    [InlineData("STOP", MessagingKeyword.OptOut)]
    [InlineData("Unsubscribe", MessagingKeyword.OptOut)]
    [InlineData("start", MessagingKeyword.OptIn)]
    [InlineData("help", MessagingKeyword.Help)]
    [InlineData("Cancel", MessagingKeyword.None)]
    [InlineData("yes", MessagingKeyword.None)]
    [InlineData("end", MessagingKeyword.None)]
    public void WhatsAppKeepsOnlyTheUnmistakableKeywords(string body, MessagingKeyword expected) =>
        Assert.Equal(expected, MessagingKeywords.Classify(Channel.WhatsApp, body));

    [Theory]
    [InlineData(429, null, true)]
    [InlineData(400, 20429, true)]
    [InlineData(500, 20500, true)]
    [InlineData(503, null, true)]
    [InlineData(400, 21211, false)]
    [InlineData(400, 21610, false)]
    [InlineData(400, 63016, false)]
    [InlineData(401, 20003, false)]
    [InlineData(404, 20404, false)]
    public void HttpErrorsAreTemporaryOrPermanent(int status, int? code, bool temporary)
    {
        var outcome = TwilioMessagingSender.Classify(new TwilioApiResult<MessageResource>(null, new TwilioApiError(TwilioFailure.Http, status, code, "x")));
        Assert.IsType(temporary ? typeof(SendOutcome.Transient) : typeof(SendOutcome.Permanent), outcome);
        Assert.Equal(code == 21610, outcome is SendOutcome.Permanent { OptedOut: true });
        Assert.Equal((code ?? status).ToString(), outcome switch
        {
            SendOutcome.Transient t => t.ErrorCode,
            SendOutcome.Permanent p => p.ErrorCode,
            _ => null,
        });
    }

    [Theory]
    [InlineData(TwilioFailure.Timeout, true)]
    [InlineData(TwilioFailure.Transport, true)]
    [InlineData(TwilioFailure.NotConfigured, false)]
    public void NoAnswerIsTemporary(TwilioFailure failure, bool temporary) =>
        Assert.Equal(temporary, TwilioMessagingSender.Classify(new TwilioApiResult<MessageResource>(null, new TwilioApiError(failure, 0, null, "x"))) is SendOutcome.Transient);

    [Fact]
    public void SuccessNeedsASid()
    {
        Assert.Equal(new SendOutcome.Accepted("SM1", "accepted"),
            TwilioMessagingSender.Classify(new TwilioApiResult<MessageResource>(MessageResource.FromJson("""{ "sid": "SM1", "status": "accepted" }"""), null)));
        Assert.IsType<SendOutcome.Permanent>(TwilioMessagingSender.Classify(new TwilioApiResult<MessageResource>(MessageResource.FromJson("{}"), null)));
    }

    private static OutboundDelivery Delivery(Channel channel, string? from, OutboundContent? content = null) =>
        new(Guid.Parse("0195b3a4-0000-7000-8000-000000000001"), Guid.NewGuid(), channel, "+14155550100", from,
            content ?? new OutboundContent("Hello"), AuthorKind.Agent, 1, null, DateTimeOffset.UtcNow);

    private static Dictionary<string, string> Form(OutboundDelivery delivery, TwilioOptions settings) =>
        TwilioMessagingSender.BuildMessage(delivery, settings)!.GetParams().ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void RepliesGoFromTheNumberTheCustomerWroteToThenTheConfiguredSenders()
    {
        var settings = new TwilioOptions { PhoneNumber = "+15005550006", WhatsAppNumber = "whatsapp:+14155238886", MessagingServiceSid = "MG1" };
        Assert.Equal("+18005551212", Form(Delivery(Channel.Sms, "+18005551212"), settings)["From"]);
        Assert.Equal("whatsapp:+18005551212", Form(Delivery(Channel.WhatsApp, "+18005551212"), settings)["From"]);
        Assert.Equal("whatsapp:+14155550100", Form(Delivery(Channel.WhatsApp, "+18005551212"), settings)["To"]);
        Assert.Equal("+15005550006", Form(Delivery(Channel.Sms, null), settings)["From"]);
        Assert.Equal("whatsapp:+14155238886", Form(Delivery(Channel.WhatsApp, null), settings)["From"]);

        var serviceOnly = Form(Delivery(Channel.Sms, null), new TwilioOptions { MessagingServiceSid = "MG1" });
        Assert.Equal("MG1", serviceOnly["MessagingServiceSid"]);
        Assert.False(serviceOnly.ContainsKey("From"));
        Assert.Null(TwilioMessagingSender.BuildMessage(Delivery(Channel.Sms, null), new TwilioOptions()));
    }

    [Fact]
    public void TheStatusCallbackCarriesOurMessageIdOnlyWhenThePublicUrlIsKnown()
    {
        var delivery = Delivery(Channel.Sms, "+18005551212");
        Assert.Equal("https://cc.example/webhooks/twilio/messaging/status?messageId=0195b3a4-0000-7000-8000-000000000001",
            Form(delivery, new TwilioOptions { PublicBaseUrl = "https://cc.example/" })["StatusCallback"]);
        Assert.False(Form(delivery, new TwilioOptions()).ContainsKey("StatusCallback"));
    }

    [Fact]
    public void TemplatesChoicesAndMedia()
    {
        var template = Form(Delivery(Channel.WhatsApp, "+18005551212", new OutboundContent(null,
            new MessageTemplate("HX123", new Dictionary<string, string> { ["1"] = "Ada", ["2"] = "12:30" }))), new TwilioOptions());
        Assert.Equal("HX123", template["ContentSid"]);
        Assert.Equal("""{"1":"Ada","2":"12:30"}""", template["ContentVariables"]);
        Assert.False(template.ContainsKey("Body"));

        var menu = Form(Delivery(Channel.Sms, "+1", new OutboundContent("How can we help?", Choices: [new("billing", "Billing"), new("tech", "Support")])),
            new TwilioOptions());
        Assert.Equal("How can we help?\n\n1. Billing\n2. Support", menu["Body"]);

        var media = TwilioMessagingSender.BuildMessage(Delivery(Channel.Sms, "+1", new OutboundContent("See", MediaUrls: ["https://a.example/1.png", "https://a.example/2.png"])),
            new TwilioOptions())!.GetParams();
        Assert.Equal(["https://a.example/1.png", "https://a.example/2.png"], media.Where(p => p.Key == "MediaUrl").Select(p => p.Value));
    }
}
