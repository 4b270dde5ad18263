using System.Net;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Voice;

/// <summary>Connecting callers to agents: retries of the redirect, an agent who does not answer, Twilio's retries.</summary>
public class VoiceAgentTests(VoiceFixture fx) : IClassFixture<VoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(TwimlCaller Caller, Guid Conversation)> HoldForSupportAsync(string number)
    {
        var caller = new TwimlCaller(fx, number);
        await caller.DialAsync();
        await caller.PressAsync("1");
        await caller.PressAsync("2");
        await caller.PressAsync("2");
        Assert.NotNull(caller.Verb("Redirect"));
        return (caller, await fx.ConversationOfAsync(caller));
    }

    [Fact]
    public async Task AThrottledRedirectIsRetriedAndAnAgentWhoDoesNotAnswerSendsTheCallerBackToTheQueue()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        await fx.App.CreateAgentAsync(ContactCenterApp.Agent2Id, capacity: new { voice = 1, messaging = 0 });
        var (caller, conversation) = await HoldForSupportAsync("+14155550170");

        // Twilio throttles the first redirect: the assignment reaction tries again.
        fx.CallScript.Enqueue(TwilioFake.Error(429, 20429, "Too Many Requests"));
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.CallRequests.Count(r => r.Path == VoiceKit.RedirectPath(caller.CallSid)) >= 2),
            "the redirect is retried after a 429", TimeSpan.FromSeconds(30));
        var redirect = fx.CallRequests.Last(r => r.Path == VoiceKit.RedirectPath(caller.CallSid));
        await caller.PostAsync(redirect["Url"]!, []);
        Assert.Equal(ContactCenterApp.AgentId, caller.Verb("Client")!.Value);

        // Agent 1 lets it ring: away, and the call goes back to support, where agent 2 gets it.
        await fx.App.SetStatusAsync(ContactCenterApp.Agent2Id, "available");
        await caller.PostAsync(caller.Verb("Dial")!.Attribute("action")!.Value, [new("DialCallStatus", "no-answer"), new("DialCallSid", "CA" + new string('c', 32))]);
        Assert.Contains("The agent could not take your call", caller.Says);
        var missed = await fx.App.WaitForEventAsync(conversation, "call.agent_missed");
        Assert.Equal((ContactCenterApp.AgentId, "no-answer"), (missed.Data("agentId"), missed.Data("dialStatus")));
        var agent1 = await fx.App.Supervisor().GetJsonAsync($"/api/agents/{ContactCenterApp.AgentId}");
        Assert.Equal("away", agent1["status"]!.GetValue<string>());

        await fx.App.WaitForAsync(conversation, c => c.Assignee() == ContactCenterApp.Agent2Id, "agent 2 gets the call");
        var second = await fx.CallRequestAsync(r => r.Path == VoiceKit.RedirectPath(caller.CallSid) && r["Url"]!.Contains("agent=agent-2"),
            "the call is redirected to agent 2");
        await caller.PostAsync(second["Url"]!, []);
        await caller.AgentAnswersAsync("CA" + new string('d', 32));
        var connected = await fx.App.WaitForEventAsync(conversation, "call.connected");
        Assert.Equal(ContactCenterApp.Agent2Id, connected.Data("agentId"));
        Assert.Empty(await fx.App.EventsAsync(conversation, "call.connect_failed"));
    }

    [Fact]
    public async Task ACallerWhoHungUpBeforeTheRedirectShowsAConnectFailure()
    {
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, capacity: new { voice = 1, messaging = 0 });
        var (caller, conversation) = await HoldForSupportAsync("+14155550171");
        fx.CallScript.Enqueue(TwilioFake.Error(400, 21220, "Call is not in-progress. Cannot redirect."));
        await fx.App.SetStatusAsync(ContactCenterApp.AgentId, "available");
        var failed = await fx.App.WaitForEventAsync(conversation, "call.connect_failed");
        Assert.Contains("21220", failed.Data("error"));
        Assert.Equal(caller.CallSid, failed.Data("callSid"));
    }

    [Fact]
    public async Task TwilioRetryingAWebhookGetsTheSameAnswerAndNothingIsStoredTwice()
    {
        var caller = new TwimlCaller(fx, "+14155550172");
        var first = (await caller.DialAsync()).ToString();
        Assert.Equal(first, (await caller.DialAsync()).ToString());
        var menuAction = caller.Verb("Gather")!.Attribute("action")!.Value;
        var menu = (await caller.PressAsync("1")).ToString();
        // The same key press delivered again (a retry), and a stale one from the previous question.
        Assert.Equal(menu, (await caller.PostAsync(menuAction, [new("Digits", "1")])).ToString());
        Assert.Equal(menu, (await caller.PostAsync(menuAction, [new("Digits", "2")])).ToString());

        var conversation = await fx.ConversationOfAsync(caller);
        var types = await fx.EventTypesAsync(conversation);
        Assert.Equal(1, types.Count(t => t == "call.started"));
        Assert.Equal(1, types.Count(t => t == "call.ivr"));
        Assert.Equal(1L, await fx.CountAsync("select count(*) from customers"));
    }
}
