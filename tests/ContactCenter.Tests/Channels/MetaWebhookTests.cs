using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using static ContactCenter.Tests.Channels.MetaWire;

namespace ContactCenter.Tests.Channels;

public class MetaWebhookTests(MetaFixture fx) : IClassFixture<MetaFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Graph.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql, args).ExecuteScalarAsync())!;
    }

    private async Task PostOkAsync(JsonNode notification)
    {
        var response = await fx.App.PostNotificationAsync(notification);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task TheSubscriptionCheckAnswersTheChallengeOnlyWithTheRightToken()
    {
        var client = fx.App.ClientWithKey(null);
        var ok = await client.GetAsync($"/webhooks/meta?hub.mode=subscribe&hub.verify_token={MetaFixture.VerifyToken}&hub.challenge=1158201444");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("text/plain", ok.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());

        foreach (var query in new[]
                 {
                     "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=echo-me-back",
                     "hub.mode=subscribe&hub.challenge=echo-me-back",
                     $"hub.mode=unsubscribe&hub.verify_token={MetaFixture.VerifyToken}&hub.challenge=echo-me-back",
                     "",
                 })
        {
            var refused = await client.GetAsync("/webhooks/meta?" + query);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain("echo-me-back", await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task EveryEntryOfABatchIsStoredInOrderAndEchoesAreNot()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-2);
        var echo = Event(PageId, at.AddSeconds(1), new JsonObject
        {
            ["message"] = new JsonObject { ["mid"] = "m_echo", ["text"] = "Thanks, we are on it", ["is_echo"] = true, ["app_id"] = 1234 },
        });
        echo["recipient"] = new JsonObject { ["id"] = "2001" };
        await PostOkAsync(Notification("page",
            [Text("2001", "m_first", "My order is late", at), echo],
            [Text("2001", "m_second", "Order 5521", at.AddSeconds(2)), Text("2002", "m_other", "Do you ship to Oslo?", at.AddSeconds(3))]));

        var (_, events) = await fx.App.TimelineAsync("messenger", "2001");
        Assert.Equal(["My order is late", "Order 5521"], events.Select(e => e["text"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("messenger", e["channel"]!.GetValue<string>()));
        Assert.Equal(["m_first", "m_second"], events.Select(e => e["providerId"]!.GetValue<string>()));
        var (_, other) = await fx.App.TimelineAsync("messenger", "2002");
        Assert.Equal("Do you ship to Oslo?", Assert.Single(other)["text"]!.GetValue<string>());
        Assert.Equal(3, await CountAsync("select count(*) from timeline_events"));
        Assert.Equal(0, await CountAsync("select count(*) from timeline_events where provider_id = 'm_echo'"));
        Assert.Equal(0, await CountAsync("select count(*) from customer_identities where address = $1", PageId));
    }

    [Fact]
    public async Task InstagramNotificationsGoToTheInstagramChannelAndMidsAreStoredOnce()
    {
        var notification = Notification("instagram", [Text("17841400000000001", "ig_mid_1", "Is this in stock?")]);
        await PostOkAsync(notification);
        await PostOkAsync(notification);

        var (_, events) = await fx.App.TimelineAsync("instagram", "17841400000000001");
        var e = Assert.Single(events);
        Assert.Equal("instagram", e["channel"]!.GetValue<string>());
        Assert.Equal(1, await CountAsync("select count(*) from timeline_events where dedupe_key = 'meta:ig_mid_1'"));
    }

    [Fact]
    public async Task PostbacksAndQuickRepliesAreChoicesAndAttachmentsAreMedia()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        await PostOkAsync(Notification("page", [
            Event("2003", at, new JsonObject { ["postback"] = new JsonObject { ["mid"] = "m_pb", ["title"] = "Track my order", ["payload"] = "TRACK" } }),
            Event("2003", at.AddSeconds(1), new JsonObject
            {
                ["message"] = new JsonObject { ["mid"] = "m_qr", ["text"] = "Talk to a person", ["quick_reply"] = new JsonObject { ["payload"] = "AGENT" } },
            }),
            Event("2003", at.AddSeconds(2), new JsonObject
            {
                ["message"] = new JsonObject
                {
                    ["mid"] = "m_att",
                    ["attachments"] = new JsonArray(
                        new JsonObject { ["type"] = "image", ["payload"] = new JsonObject { ["url"] = "https://cdn.example.com/box.jpg" } },
                        new JsonObject { ["type"] = "file", ["payload"] = new JsonObject { ["url"] = "https://cdn.example.com/invoice.pdf" } }),
                },
            })]));

        var (_, events) = await fx.App.TimelineAsync("messenger", "2003");
        Assert.Equal(3, events.Count);
        Assert.Equal("Track my order", events[0]["text"]!.GetValue<string>());
        Assert.Equal("TRACK", events[0]["data"]!["choice"]!["id"]!.GetValue<string>());
        Assert.Equal("Track my order", events[0]["data"]!["choice"]!["title"]!.GetValue<string>());
        Assert.Equal("Talk to a person", events[1]["text"]!.GetValue<string>());
        Assert.Equal("AGENT", events[1]["data"]!["choice"]!["id"]!.GetValue<string>());
        Assert.Equal("Talk to a person", events[1]["data"]!["choice"]!["title"]!.GetValue<string>());
        var media = events[2]["data"]!["media"]!.AsArray();
        Assert.Equal(["https://cdn.example.com/box.jpg", "https://cdn.example.com/invoice.pdf"], media.Select(m => m!["url"]!.GetValue<string>()));
        Assert.Equal("image/*", media[0]!["contentType"]!.GetValue<string>());
    }

    [Fact]
    public async Task AMissingOrWrongSignatureIs403AndStoresNothing()
    {
        var body = Encoding.UTF8.GetBytes(Notification("page", [Text("2004", "m_sig", "hi")]).ToJsonString());
        foreach (var signature in new[] { MetaFixture.Sign(body, "another-secret"), "sha256=00", "sha256=zz-not-hex", "sha1=" + MetaFixture.Sign(body)[7..], "" })
            await (await fx.App.PostSignedAsync(body, signature: signature)).ProblemAsync(HttpStatusCode.Forbidden);

        var unsigned = new HttpRequestMessage(HttpMethod.Post, "/webhooks/meta") { Content = new ByteArrayContent(body) };
        unsigned.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await (await fx.App.ClientWithKey(null).SendAsync(unsigned)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0, await CountAsync("select count(*) from timeline_events"));
    }

    [Fact]
    public async Task ATamperedBodyWithAOnceValidSignatureIs403()
    {
        var original = Encoding.UTF8.GetBytes(Notification("page", [Text("2005", "m_t", "Refund 10 EUR")]).ToJsonString());
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("10 EUR", "99 EUR"));
        await (await fx.App.PostSignedAsync(tampered, signedBody: original)).ProblemAsync(HttpStatusCode.Forbidden);
        // The signature is over the bytes as sent: re-serializing the same JSON differently must not verify either.
        var reformatted = Encoding.UTF8.GetBytes(JsonNode.Parse(original)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        await (await fx.App.PostSignedAsync(reformatted, signedBody: original)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0, await CountAsync("select count(*) from timeline_events"));

        // The untouched bytes, non-ASCII and all, pass.
        var accented = Encoding.UTF8.GetBytes("""{"object":"page","entry":[{"id":"1100200300","time":1,"messaging":[{"sender":{"id":"2005"},"recipient":{"id":"1100200300"},"timestamp":1700000000000,"message":{"mid":"m_u","text":"Größe \u00e9 ✓"}}]}]}""");
        Assert.Equal(HttpStatusCode.OK, (await fx.App.PostSignedAsync(accented)).StatusCode);
        Assert.Equal("Größe é ✓", Assert.Single((await fx.App.TimelineAsync("messenger", "2005")).Events)["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"object":"page","entry":"nope"}""")]
    [InlineData("""{"object":"page"}""")]
    [InlineData("""{"object":"page","entry":[{"id":"1","time":1,"messaging":[{"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"no sender"}}]}]}""")]
    [InlineData("null")]
    public async Task MalformedNotificationsAre400AndStoreNothing(string json)
    {
        await (await fx.App.PostSignedAsync(Encoding.UTF8.GetBytes(json))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountAsync("select count(*) from timeline_events"));
    }

    [Fact]
    public async Task OtherObjectsAndEventKindsAreAcknowledged()
    {
        await PostOkAsync(JsonNode.Parse("""{"object":"user","entry":[{"id":"1","time":1,"changes":[]}]}""")!);
        await PostOkAsync(Notification("page", [Event("2006", null, new JsonObject { ["read"] = new JsonObject { ["watermark"] = 1 } })]));
        Assert.Equal(0, await CountAsync("select count(*) from timeline_events"));
    }
}
