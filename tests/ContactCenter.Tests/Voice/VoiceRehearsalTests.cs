using ContactCenter.Server.Commands;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Voice;

/// <summary><c>flows simulate --webhooks</c>: a rehearsed call through the service's signed voice webhooks.</summary>
public class VoiceRehearsalTests(VoiceFixture fx) : IClassFixture<VoiceFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ARehearsedCallGoesThroughTheWebhooksAndLandsOnTheTimeline()
    {
        var typed = new StringReader("1\nI need help with my bill\n2\n\n");
        var output = new StringWriter();
        var rehearsal = new WebhookRehearsal(fx.App.CreateClient(), fx.SigningBase, TwilioFake.AuthToken, "+14155550195", typed, output, echo: true);
        Assert.Equal(0, await rehearsal.RunAsync(CancellationToken.None));

        var transcript = output.ToString();
        Assert.Contains("\"Thank you for calling Northwind.", transcript);
        Assert.Contains("For billing, press 1", transcript);
        Assert.Contains("You are next in line.", transcript);
        Assert.Contains($"♪ {VoiceFixture.HoldMusic}", transcript);
        Assert.Contains("(the call has ended)", transcript);

        var conversation = (Guid)(await fx.CountScalarAsync("select conversation_id from voice_calls where caller = $1", "+14155550195"))!;
        var types = await fx.EventTypesAsync(conversation);
        Assert.Contains("call.queued", types);
        Assert.Equal("abandoned", (await fx.App.WaitForEventAsync(conversation, "call.ended")).Data("outcome"));
    }
}
