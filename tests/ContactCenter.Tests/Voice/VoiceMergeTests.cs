using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Voice;

public class VoiceMergeTests(VoiceFixture fx) : IClassFixture<VoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ACallWhoseCustomerIsMergedMidCallGoesOnOnTheSurvivorsConversation()
    {
        // One person on two phones, both in the IVR; a supervisor merges the second customer into the first.
        var first = new TwimlCaller(fx, "+14155550190");
        var second = new TwimlCaller(fx, "+14155550191");
        await first.DialAsync();
        await second.DialAsync();
        var survivorConversation = await fx.ConversationOfAsync(first);
        var foldedConversation = await fx.ConversationOfAsync(second);
        var survivor = (await fx.App.ConversationAsync(survivorConversation))["customerId"]!.GetValue<string>();
        var other = (await fx.App.ConversationAsync(foldedConversation))["customerId"]!.GetValue<string>();
        var merge = await fx.App.Supervisor().PostAsJsonAsync($"/api/customers/{survivor}/merge", new { otherCustomerId = other });
        Assert.Equal(HttpStatusCode.OK, merge.StatusCode);

        // The second call goes on: its choices, queueing and end land on the survivor's voice conversation.
        await second.PressAsync("1");
        await second.PressAsync("2");
        await second.PressAsync("2");
        Assert.Contains("Please hold", second.Says);
        await second.NotifyStatusAsync("completed", 1, 30);

        // The call's row keeps the folded id; reads follow the merge.
        Assert.Equal(survivorConversation, (await fx.App.Service<ContactCenter.Core.Voice.CallLedger>().GetAsync(second.CallSid, CancellationToken.None))!.ConversationId);
        var events = await fx.App.EventsAsync(survivorConversation);
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "call.ivr" && e.Data("callSid") == second.CallSid);
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "call.queued" && e.Data("callSid") == second.CallSid);
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "call.ended" && e.Data("callSid") == second.CallSid);
        Assert.All(events, e => Assert.Equal(survivor, e["customerId"]!.GetValue<string>()));
    }
}
