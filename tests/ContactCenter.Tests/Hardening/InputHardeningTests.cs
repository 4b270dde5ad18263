using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Hardening;

/// <summary>
/// One regression test per kind of input that used to get a 500: provider payloads lose their NULs and keep the
/// message; our own API refuses them naming the field; missing objects, impossible times, bogus charsets, nulls
/// inside lists and oversized bodies get a 4xx (or, for Telegram, an acknowledgement) and store nothing half-way.
/// </summary>
public class InputHardeningTests(HardeningFixture fx) : IClassFixture<HardeningFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static void AssertNot5xx(HttpResponseMessage response, string what) =>
        Assert.True((int)response.StatusCode < 500, $"{what}: {(int)response.StatusCode}");

    [Fact]
    public async Task WhatsAppBodyAndProfileNameKeepEverythingButTheirNuls()
    {
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("Hel\0lo there", profileName: "Ana\0 Lima"));
        var (text, name, _) = await fx.OnlyInboundAsync();
        Assert.Equal("Hello there", text);
        Assert.Equal("Ana Lima", name);
    }

    [Fact]
    public async Task ALongNonAsciiSmsIsStoredWhole()
    {
        // 1600 characters of emoji are ~19 kB percent-encoded: beyond the form reader's 2 kB default for a value.
        var body = string.Concat(Enumerable.Repeat("😀", 800));
        await fx.ReceiveAsync(TwilioRequests.Sms(body));
        Assert.Equal(body, (await fx.OnlyInboundAsync()).Text);
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=zz", "not multipart at all")]
    [InlineData("multipart/form-data", "--zz\r\n")]
    public async Task AFormThatLiesAboutBeingMultipartIs400(string contentType, string body)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        await (await fx.App.ClientWithKey(null).PostAsync("/login", content)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task StatusCallbackAndVoiceFormFieldsWithNulsAreNot500()
    {
        var status = await fx.PostStatusAsync(Guid.NewGuid(), "SM\0" + Guid.NewGuid().ToString("N"), "delivered", errorCode: "3\00");
        AssertNot5xx(status, "status callback");
        List<KeyValuePair<string, string>> call =
        [
            new("CallSid", "CA\0" + Guid.NewGuid().ToString("N")), new("From", "+1555\00001234"), new("To", TwilioFixture.CompanyNumber),
            new("CallStatus", "ringing"), new("Direction", "inbound"), new("CallerName", "Bo\0b"), new("AccountSid", TwilioFake.AccountSid),
        ];
        var voice = await fx.App.CreateClient().SendAsync(TwilioRequests.Signed(fx.SigningBase, "/webhooks/twilio/voice", call));
        Assert.Equal(HttpStatusCode.OK, voice.StatusCode);
        Assert.DoesNotContain("\0", await voice.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TelegramTextAndNameKeepEverythingButTheirNuls()
    {
        var response = await fx.PostTelegramAsync("""
            {"update_id": 501, "message": {"message_id": 7, "date": 1700000000, "text": "Wh\u0000ere is my \\u0000 order",
             "chat": {"id": 4242, "type": "private"}, "from": {"id": 4242, "is_bot": false, "first_name": "Da\u0000na"}}}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (text, name, _) = await fx.OnlyInboundAsync();
        // An escaped backslash followed by "u0000" is text, not a NUL.
        Assert.Equal("Where is my \\u0000 order", text);
        Assert.Equal("Dana", name);
    }

    [Theory]
    [InlineData("""{"update_id": 601, "message": {"message_id": 1, "date": 1700000000, "text": "hi", "from": {"id": 1, "is_bot": false, "first_name": "A"}}}""")]
    [InlineData("""{"update_id": 602, "message": {"message_id": 1, "date": 1700000000, "text": "hi", "chat": null, "from": {"id": 1, "is_bot": false, "first_name": "A"}}}""")]
    [InlineData("""{"update_id": 603, "message": {}}""")]
    [InlineData("""{"update_id": 604, "message": null}""")]
    [InlineData("""{"update_id": 605, "callback_query": {"id": "q1", "data": "yes", "chat_instance": "c"}}""")]
    [InlineData("""{"update_id": 606, "callback_query": {"id": "q1", "from": null, "data": "yes", "chat_instance": "c"}}""")]
    [InlineData("""{"update_id": 607, "edited_message": {"message_id": "seven", "date": 1700000000, "chat": {"id": 1, "type": "private"}}}""")]
    [InlineData("""{"update_id": 608, "my_chat_member": {"date": 1700000000}}""")]
    public async Task TelegramUpdatesMissingTheirObjectsAreAcknowledgedAndStoreNothing(string update)
    {
        // Telegram redelivers every non-2xx (holding back the bot's later updates); no redelivery can make these
        // readable, so they are acknowledged, logged, and nothing is stored.
        var response = await fx.PostTelegramAsync(update);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await fx.EventCountAsync());
    }

    [Fact]
    public async Task TelegramNullsInsideAMessageKeepTheMessage()
    {
        var response = await fx.PostTelegramAsync("""
            {"update_id": 609, "message": {"message_id": 1, "date": 1700000000, "caption": "see photo", "chat": {"id": 31, "type": "private"},
             "from": {"id": 31, "is_bot": false, "first_name": "Al"}, "photo": [null]}}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("see photo", (await fx.OnlyInboundAsync()).Text);
    }

    [Theory]
    [InlineData("""{"message": {"message_id": 1}}""")]
    [InlineData("""{"update_id": -4}""")]
    [InlineData("""{"update_id": 99999999999999}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"update_id": 1, "message": """)]
    public async Task TelegramBodiesThatAreNoUpdateAre400(string body)
    {
        var response = await fx.PostTelegramAsync(body);
        await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await fx.EventCountAsync());
    }

    [Theory]
    [InlineData(99999999999999)]
    [InlineData(-5)]
    public async Task TelegramDatesNoClockCanShowKeepTheMessageAtReceipt(long date)
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var response = await fx.PostTelegramAsync("""
            {"update_id": 701, "message": {"message_id": 9, "date": DATE, "text": "late or early",
             "chat": {"id": 77, "type": "private"}, "from": {"id": 77, "is_bot": false, "first_name": "Tim"}}}
            """.Replace("DATE", date.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (text, _, at) = await fx.OnlyInboundAsync();
        Assert.Equal("late or early", text);
        Assert.InRange(at, before, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Theory]
    [InlineData(999999999999999999)]
    [InlineData(-1)]
    public async Task MetaTimestampsOutOfRangeAndNulsKeepTheMessage(long timestamp)
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var response = await fx.PostMetaAsync("""
            {"object": "page", "entry": [{"id": "1100200300", "time": 1, "messaging": [{"sender": {"id": "12\u000034"},
             "recipient": {"id": "1100200300"}, "timestamp": STAMP, "message": {"mid": "m_\u0000xSTAMP", "text": "Need\u0000 help"}}]}]}
            """.Replace("STAMP", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (text, _, at) = await fx.OnlyInboundAsync();
        Assert.Equal("Need help", text);
        Assert.InRange(at, before, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task OurApiRefusesNulsNamingTheFieldAndStoresNothing()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hello"));
        var conversation = await fx.ConversationAsync("sms");
        var before = await fx.EventCountAsync();

        var note = await fx.SendApiAsync(HttpMethod.Post, $"/api/conversations/{conversation}/notes", """{"text": "call\u0000 back"}""");
        Assert.Contains("text", (await note.ProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var reply = await fx.SendApiAsync(HttpMethod.Post, $"/api/conversations/{conversation}/messages", """{"text": "Hi\u0000", "idempotencyKey": "k1"}""");
        Assert.Contains("text", (await reply.ProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var media = await fx.SendApiAsync(HttpMethod.Post, $"/api/conversations/{conversation}/messages", """{"text": "Hi", "mediaUrls": ["https://x.test/\u0000"]}""");
        Assert.Contains("mediaUrls", (await media.ProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // NUL in a query string reaches PostgreSQL as a parameter: refused there, mapped to 400.
        await (await fx.App.Admin().GetAsync("/api/conversations?queue=a%00b")).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(before, await fx.EventCountAsync());
        Assert.Equal(0, await fx.CountAsync("select count(*) from outbound_messages"));
    }

    [Fact]
    public async Task NullInsideAListOfAnAdminBodyIs400NamingTheField()
    {
        var response = await fx.SendApiAsync(HttpMethod.Put, "/api/queues/billing", """{"steps": [null]}""");
        Assert.Contains("steps", (await response.ProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        await (await fx.App.Admin().GetAsync("/api/queues/billing")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("application/json; charset=bogus-charset-1")]
    [InlineData("application/json; charset=\"x\"")]
    [InlineData("application/json; charset=utf-0")]
    public async Task AJsonBodyWithACharsetNoOneCanDecodeIs400(string contentType)
    {
        await (await fx.SendApiAsync(HttpMethod.Put, "/api/queues/billing", "{}", contentType)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.PostMetaAsync("""{"object": "page", "entry": []}""", contentType)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.PostTelegramAsync("""{"update_id": 5}""", contentType)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fx.App.Admin().GetAsync("/api/queues/billing")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MalformedAndOversizedBodiesAre4xxProblems()
    {
        var broken = await fx.SendApiAsync(HttpMethod.Put, "/api/queues/billing", """{"steps": [""");
        Assert.Contains("JSON", (await broken.ProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var wrongType = await fx.SendApiAsync(HttpMethod.Put, "/api/queues/billing", """{"priority": "high"}""");
        await wrongType.ProblemAsync(HttpStatusCode.BadRequest);
        var huge = await fx.SendApiAsync(HttpMethod.Put, "/api/queues/billing", "{\"name\": \"" + new string('x', 2 * 1024 * 1024) + "\"}");
        await huge.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var deep = await fx.SendApiAsync(HttpMethod.Put, "/api/queues/billing", new string('[', 5000) + new string(']', 5000));
        await deep.ProblemAsync(HttpStatusCode.BadRequest);
    }
}
