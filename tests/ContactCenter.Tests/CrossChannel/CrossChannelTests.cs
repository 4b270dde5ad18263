using System.Net;
using ContactCenter.Core.Bot;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;
using ContactCenter.Tests.Voice;

namespace ContactCenter.Tests.CrossChannel;

/// <summary>The voice service with the bot on WhatsApp: one customer moving from a chat to a call.</summary>
public sealed class CrossChannelFixture : VoiceFixture
{
    public ProviderFake Orders { get; } = new((_, _) => (404, """{"error":"not found"}"""));

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Flows:Bots:whatsapp"] = "messaging-bot",
        ["Flows:Endpoints:orders:BaseUrl"] = Orders.Url,
    };

    public async Task ResetAllAsync()
    {
        await ResetCallAsync();
        Orders.Reset();
        await App.Service<KnowledgeSeeder>().SeedAsync(CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Orders.Dispose();
    }
}

/// <summary>
/// The closing story: a billing problem raised with the bot on WhatsApp, handed to the billing queue
/// with its context; the same customer then calls, the IVR knows the open billing conversation and routes the
/// call there, and the agent who takes the call sees what the customer told the bot.
/// </summary>
public class CrossChannelTests(CrossChannelFixture fx) : IClassFixture<CrossChannelFixture>, IAsyncLifetime
{
    private const string Number = "+14155550177";

    public Task InitializeAsync() => fx.ResetAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> BotReplyAsync(Guid conversation, int count)
    {
        List<System.Text.Json.Nodes.JsonNode> replies = [];
        await TestSupport.EventuallyAsync(async () => (replies = await fx.App.EventsAsync(conversation, "bot.reply")).Count >= count,
            $"the bot sent {count} replies");
        return replies[count - 1]["text"]!.GetValue<string>();
    }

    [Fact]
    public async Task AChatHandedToBillingContinuesOnTheCallAndTheAgentSeesWhatWasSaid()
    {
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("I was charged twice", Number, profileName: "Ana Lopez"));
        var whatsapp = await fx.ConversationAsync("whatsapp", Number);
        Assert.Contains("Which order is the charge about?", await BotReplyAsync(whatsapp, 1));
        await fx.ReceiveAsync(TwilioRequests.WhatsApp("It's NW-12345", Number));
        Assert.Contains("billing team", await BotReplyAsync(whatsapp, 2));
        var chat = await fx.App.WaitForStatusAsync(whatsapp, "queued");
        Assert.Equal("billing", chat["queue"]!.GetValue<string>());

        // The same person calls: greeted by name, offered to continue the WhatsApp conversation, routed to billing.
        var caller = new TwimlCaller(fx, Number);
        await caller.DialAsync();
        await caller.PressAsync("1");
        Assert.Contains("Hello Ana", caller.Says);
        Assert.Contains("already in touch with us by whatsapp", caller.Says);
        await caller.PressAsync("1");
        var call = await fx.ConversationOfAsync(caller);
        var queued = await fx.App.ConversationAsync(call);
        Assert.Equal(("queued", "billing"), (queued["status"]!.GetValue<string>(), queued["queue"]!.GetValue<string>()));
        Assert.Equal(chat["customerId"]!.GetValue<string>(), queued["customerId"]!.GetValue<string>());

        // A billing agent with room for a call takes it; the live call is redirected to them.
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 }, status: "available");
        await fx.CallRequestAsync(r => r.Path == VoiceKit.RedirectPath(caller.CallSid), "the live call is redirected to the agent");
        var taken = await fx.App.WaitForAsync(call, c => c.Assignee() == ContactCenterApp.AgentId, "the agent has the call");

        // What the agent sees on the call: the WhatsApp conversation it continues and what the customer told the bot.
        var context = taken["handoff"] ?? throw new Xunit.Sdk.XunitException($"No handoff context on the call: {taken}");
        Assert.Equal("ivr", context["trigger"]!.GetValue<string>());
        var continues = context["continues"]!;
        Assert.Equal(whatsapp.ToString(), continues["conversationId"]!.GetValue<string>());
        Assert.Equal("whatsapp", continues["channel"]!.GetValue<string>());
        Assert.Equal("NW-12345", continues["handoff"]!["slots"]!["order.number"]!.GetValue<string>());
        Assert.Contains("I was charged twice", continues["handoff"]!["summary"]!.GetValue<string>());
    }
}
