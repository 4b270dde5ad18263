using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Webchat;

/// <summary>Visitors the website vouches for (userHash) join the customer with that e-mail; nobody else links anyone.</summary>
public sealed class WebchatIdentityTests(WebchatFixture fx) : IClassFixture<WebchatFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => fx.SettledAsync();

    private async Task<Guid> SmsCustomerWithEmailAsync(string email)
    {
        var sms = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550123", Guid.NewGuid().ToString(), "texting you"));
        await fx.App.Agent().PatchAsJsonAsync($"/api/customers/{sms.CustomerId}", new { email });
        return sms.CustomerId;
    }

    [Fact]
    public async Task A_verified_visitor_is_the_same_customer_as_on_sms()
    {
        var customerId = await SmsCustomerWithEmailAsync("ann@example.com");
        using var visitor = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin,
            user: new { userId = "user-42", email = "Ann@Example.com", name = "Ann", userHash = WebchatFixture.HashOf("user-42") });
        Assert.True(visitor.Session["verified"]!.GetValue<bool>());
        Assert.True(visitor.Session["linked"]!.GetValue<bool>());

        var sent = await visitor.SayAsync("hello, it's Ann");
        await fx.SettledAsync();
        var customer = await fx.App.Agent().GetJsonAsync($"/api/customers/{customerId}");
        var channels = customer["identities"]!.AsArray().Select(i => i!["channel"]!.GetValue<string>()).ToList();
        Assert.Contains("webchat", channels);
        Assert.Contains("sms", channels);
        var conversation = await fx.App.ConversationAsync(Guid.Parse(sent["conversationId"]!.GetValue<string>()));
        Assert.Equal(customerId.ToString(), conversation["customerId"]!.GetValue<string>());

        // The same user on another device is the same customer, with the same history.
        using var laptop = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin,
            user: new { userId = "user-42", email = "ann@example.com", userHash = WebchatFixture.HashOf("user-42") });
        Assert.Contains(await laptop.MessagesAsync(), e => e.Text() == "hello, it's Ann");
    }

    [Fact]
    public async Task A_wrong_hash_is_refused_and_links_nothing()
    {
        var customerId = await SmsCustomerWithEmailAsync("bob@example.com");
        using var http = fx.App.ClientWithKey(null);
        http.DefaultRequestHeaders.Add("Origin", WebchatFixture.OtherOrigin);
        foreach (var hash in new[] { WebchatFixture.HashOf("someone-else"), "not-hex", "" })
        {
            var response = await http.PostAsJsonAsync("/webchat/sessions",
                new { widgetId = "other", user = new { userId = "user-7", email = "bob@example.com", userHash = hash } });
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"{hash}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // An anonymous visitor who types the same e-mail in the pre-chat form is still a customer of their own.
        using var anonymous = await VisitorClient.StartAsync(fx.App, widget: "form");
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.Http.PostAsJsonAsync("/webchat/prechat",
            new { name = "Bob?", email = "bob@example.com", topic = "other" })).StatusCode);
        var sent = await anonymous.SayAsync("I am Bob, honest");
        var conversation = await fx.App.ConversationAsync(Guid.Parse(sent["conversationId"]!.GetValue<string>()));
        Assert.NotEqual(customerId.ToString(), conversation["customerId"]!.GetValue<string>());
        var customer = await fx.App.Agent().GetJsonAsync($"/api/customers/{customerId}");
        Assert.Equal(["sms"], customer["identities"]!.AsArray().Select(i => i!["channel"]!.GetValue<string>()));
    }
}
