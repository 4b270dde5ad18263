using System.Net;
using System.Net.Http.Json;
using ContactCenter.Core.Channels;

namespace ContactCenter.Tests.Foundation;

public class ConversationApiTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task NotesGoOnTheTimelineAsInternalEvents()
    {
        var inbound = await fx.App.ReceiveAsync(Inbound.Message(Channel.WhatsApp, "whatsapp:+14155550100", "n1"));
        var agent = fx.App.Agent();
        var note = await agent.PostJsonAsync($"/api/conversations/{inbound.ConversationId}/notes",
            new { text = "Customer is a VIP, be kind" }, HttpStatusCode.Created);
        Assert.Equal("note.added", note["type"]!.GetValue<string>());
        Assert.Equal("internal", note["direction"]!.GetValue<string>());
        Assert.Equal(ContactCenterApp.AgentId, note["data"]!["author"]!.GetValue<string>());

        var events = await agent.GetJsonAsync($"/api/conversations/{inbound.ConversationId}/events");
        Assert.Equal(["message.received", "note.added"], events.AsArray().Select(e => e!["type"]!.GetValue<string>()));
        var timeline = await agent.GetJsonAsync($"/api/customers/{inbound.CustomerId}/timeline");
        Assert.Equal("Customer is a VIP, be kind", timeline["events"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadNotesAreRefused()
    {
        var inbound = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "n2"));
        var agent = fx.App.Agent();
        await (await agent.PostAsJsonAsync($"/api/conversations/{inbound.ConversationId}/notes", new { text = "  " })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await agent.PostAsJsonAsync($"/api/conversations/{inbound.ConversationId}/notes", new { text = new string('x', 5000) })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await agent.PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/notes", new { text = "hi" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await agent.PostAsync($"/api/conversations/{inbound.ConversationId}/notes",
            new StringContent("[1,2", System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ListFiltersAndResolveClosesOnce()
    {
        var a = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, "+14155550100", "l1"));
        var b = await fx.App.ReceiveAsync(Inbound.Message(Channel.Telegram, "777", "l2"));
        var agent = fx.App.Agent();

        Assert.Equal(2, (await agent.GetJsonAsync("/api/conversations?status=open")).AsArray().Count);
        var resolved = await agent.PostJsonAsync($"/api/conversations/{a.ConversationId}/resolve", new { }, HttpStatusCode.OK);
        Assert.Equal("resolved", resolved["status"]!.GetValue<string>());
        Assert.NotNull(resolved["closedAt"]);
        await agent.PostJsonAsync($"/api/conversations/{a.ConversationId}/resolve", new { }, HttpStatusCode.OK);

        var open = (await agent.GetJsonAsync("/api/conversations?status=open")).AsArray();
        Assert.Equal(b.ConversationId.ToString(), open.Single()!["id"]!.GetValue<string>());
        Assert.Single((await agent.GetJsonAsync("/api/conversations?status=resolved")).AsArray());
        Assert.Single((await agent.GetJsonAsync($"/api/conversations?customerId={a.CustomerId}")).AsArray());

        var events = await agent.GetJsonAsync($"/api/conversations/{a.ConversationId}/events");
        Assert.Single(events.AsArray(), e => e!["type"]!.GetValue<string>() == "conversation.resolved");
    }

    [Theory]
    [InlineData("/api/conversations?status=sleeping")]
    [InlineData("/api/conversations?limit=0")]
    [InlineData("/api/conversations?limit=abc")]
    public async Task BadListQueriesAre400(string url) =>
        await (await fx.App.Agent().GetAsync(url)).ProblemAsync(HttpStatusCode.BadRequest);

    [Fact]
    public async Task UnknownConversationIs404() =>
        await (await fx.App.Agent().GetAsync($"/api/conversations/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
}
