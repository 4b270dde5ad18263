using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;

namespace ContactCenter.Tests.Email;

/// <summary>The email fixture with a chat widget whose website vouches for its users.</summary>
public sealed class EmailAndWebchatFixture : EmailFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Webchat:IdentitySecret"] = Webchat.WebchatFixture.Secret,
        ["Webchat:Widgets:site:Origins:0"] = Webchat.WebchatFixture.Origin,
    };
}

/// <summary>
/// An address recorded for a customer (the desk's customer card, a website's verified user on the chat) is that customer's
/// on email too; an address a chat visitor merely typed is not.
/// </summary>
public class EmailProfileAddressTests(EmailAndWebchatFixture fx) : IClassFixture<EmailAndWebchatFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetMailAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AMailFromTheAddressAnAgentSetOnAProfileLandsOnThatCustomer()
    {
        // A customer known from SMS; the agent types their e-mail into the customer card (PATCH, as the desk does).
        var sms = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550177", "SMprofile1", "Hi, it's Ann", name: "Ann Lee"));
        var agent = fx.App.Agent();
        var patched = await agent.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/customers/{sms.CustomerId}")
        {
            Content = JsonContent.Create(new { email = "Ann.Lee@Customer.Test" }),
        });
        Assert.Equal("Ann.Lee@Customer.Test", (await patched.ReadJsonAsync(HttpStatusCode.OK))["email"]!.GetValue<string>());

        // Her mail, with the address in another mix of cases, reaches the real mailbox.
        await fx.DeliverAsync(Mail.From("\"Ann\" <ANN.lee@customer.TEST>", "My order", "Where is it?"));
        var (customerId, events) = await fx.App.TimelineAsync("ann.lee@customer.test");
        Assert.Equal(sms.CustomerId.ToString(), customerId);
        var received = events.Where(e => e["type"]!.GetValue<string>() == "message.received" && e["channel"]!.GetValue<string>() == "email").ToList();
        var mail = Assert.Single(received);
        var conversation = await agent.GetJsonAsync($"/api/conversations/{mail["conversationId"]!.GetValue<string>()}");
        Assert.Equal(sms.CustomerId.ToString(), conversation["customerId"]!.GetValue<string>());
        Assert.Equal("email", conversation["channel"]!.GetValue<string>());

        // The address is her email identity now, and nobody else was created for it.
        var profile = await agent.GetJsonAsync($"/api/customers/{sms.CustomerId}");
        Assert.Contains(profile["identities"]!.AsArray(),
            i => i!["channel"]!.GetValue<string>() == "email" && i["address"]!.GetValue<string>() == "ann.lee@customer.test");
        Assert.Equal(1, await fx.Db.CountAsync("select count(*) from customers"));

        // A second mail from her continues on the same customer (now through the identity).
        await fx.DeliverAsync(Mail.From("ann.lee@customer.test", "Another thing", "Also, my address changed."));
        await TestSupport.EventuallyAsync(async () => await fx.Db.CountAsync(
            "select count(*) from timeline_events where channel = 'email' and type = 'message.received' and customer_id = $1", sms.CustomerId) == 2,
            "the second mail is on Ann's timeline");
        Assert.Equal(1, await fx.Db.CountAsync("select count(*) from customers"));
    }

    [Fact]
    public async Task AMailFromAnAddressNoProfileHasOpensACustomerOfItsOwn()
    {
        var sms = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550178", "SMprofile2", "Hello", name: "Bo"));
        var patched = await fx.App.Agent().SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/customers/{sms.CustomerId}")
        {
            Content = JsonContent.Create(new { email = "bo@customer.test" }),
        });
        await patched.ReadJsonAsync(HttpStatusCode.OK);

        await fx.DeliverAsync(Mail.From("someone.else@customer.test", "Hello", "A question."));
        var (customerId, _) = await fx.App.TimelineAsync("someone.else@customer.test");
        Assert.NotEqual(sms.CustomerId.ToString(), customerId);
        Assert.Equal(2, await fx.Db.CountAsync("select count(*) from customers"));
    }

    [Fact]
    public async Task AMailFromTheAddressAWebsiteVouchedForOnTheChatLandsOnTheVisitorsCustomer()
    {
        using var visitor = await Webchat.VisitorClient.StartAsync(fx.App, user: new
        {
            userId = "user-4711", email = "Vic.Tor@Example.test", name = "Vic", userHash = Webchat.WebchatFixture.HashOf("user-4711"),
        });
        var said = await visitor.SayAsync("hello from the website");
        var chat = await fx.App.Agent().GetJsonAsync($"/api/conversations/{said["conversationId"]!.GetValue<string>()}");
        var customerId = chat["customerId"]!.GetValue<string>();

        // The chat recorded the address for the visitor's customer before any mail came.
        var (recorded, _) = await fx.App.TimelineAsync("vic.tor@example.test");
        Assert.Equal(customerId, recorded);

        await fx.DeliverAsync(Mail.From("vic.tor@example.TEST", "Following up", "About my chat."));
        await TestSupport.EventuallyAsync(async () => await fx.Db.CountAsync(
            "select count(*) from timeline_events where channel = 'email' and type = 'message.received'") == 1, "the mail is taken in");
        var (_, events) = await fx.App.TimelineAsync("vic.tor@example.test");
        Assert.Contains(events, e => e["channel"]!.GetValue<string>() == "webchat" && e["type"]!.GetValue<string>() == "message.received");
        Assert.Contains(events, e => e["channel"]!.GetValue<string>() == "email" && e["type"]!.GetValue<string>() == "message.received");
        Assert.Equal(1, await fx.Db.CountAsync("select count(*) from customers"));
    }

    [Fact]
    public async Task AnAddressAChatVisitorTypedIntoTheOfflineFormLinksNobody()
    {
        using var visitor = await Webchat.VisitorClient.StartAsync(fx.App);
        var left = await visitor.Http.PostJsonAsync("/webchat/offline", new { email = "pat@customer.test", text = "Call me", clientId = "o1" },
            HttpStatusCode.OK);
        var chat = await fx.App.Agent().GetJsonAsync($"/api/conversations/{left["conversationId"]!.GetValue<string>()}");

        await fx.DeliverAsync(Mail.From("pat@customer.test", "Hello", "It's Pat."));
        var (mailCustomer, _) = await fx.App.TimelineAsync("pat@customer.test");
        Assert.NotEqual(chat["customerId"]!.GetValue<string>(), mailCustomer);
    }

    [Fact]
    public async Task TheVisitorsAnswerToAnOfflineReplyByMailThreadsOnTheChatAndLinksNobody()
    {
        using var visitor = await Webchat.VisitorClient.StartAsync(fx.App);
        var left = await visitor.Http.PostJsonAsync("/webchat/offline", new { email = "quinn@customer.test", text = "Do you repair kettles?", clientId = "o1" },
            HttpStatusCode.OK);
        var chatId = left["conversationId"]!.GetValue<string>();
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{chatId}/messages", new { text = "We do: bring it in." }, HttpStatusCode.Accepted);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Smtp.Messages.Count == 1), "the answer was mailed");
        var ours = fx.Smtp.Messages[0].Message;
        // No mailbox has the chat's queue: the first that can send answers.
        Assert.Equal(EmailFixture.Support, ours.From.Mailboxes.Single().Address);

        var reply = Mail.From("quinn@customer.test", "Re: " + ours.Subject, "Great, see you Monday.");
        reply.InReplyTo = ours.MessageId;
        reply.References.Add(ours.MessageId!);
        await fx.DeliverAsync(reply);
        // The customer with that address exists once the reply is taken in.
        var (_, events) = await fx.App.TimelineAsync("quinn@customer.test");
        var mail = events.Single(e => e["channel"]!.GetValue<string>() == "email" && e["type"]!.GetValue<string>() == "message.received");
        Assert.Equal(chatId, mail["data"]!["thread"]!["conversationId"]!.GetValue<string>());
        Assert.Equal("references", mail["data"]!["thread"]!["by"]!.GetValue<string>());
        // A conversation of its own, of the customer with that address: the visitor's typed address linked nobody.
        Assert.NotEqual(chatId, mail["conversationId"]!.GetValue<string>());
        var chat = await fx.App.Agent().GetJsonAsync($"/api/conversations/{chatId}");
        Assert.NotEqual(chat["customerId"]!.GetValue<string>(), (await fx.App.Agent().GetJsonAsync(
            $"/api/conversations/{mail["conversationId"]!.GetValue<string>()}"))["customerId"]!.GetValue<string>());
    }
}
