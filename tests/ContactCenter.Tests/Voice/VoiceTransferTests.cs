namespace ContactCenter.Tests.Voice;

/// <summary>A voice flow of its own (Flows:Voice) with transfer nodes to a number, a SIP address and a client.</summary>
public sealed class TransferFixture : VoiceFixture
{
    public string FlowsPath { get; } = Directory.CreateTempSubdirectory("cc-voice-flows-").FullName;

    public TransferFixture()
    {
        File.WriteAllText(Path.Combine(FlowsPath, "front-desk.yaml"), """
            name: front-desk
            channel: voice
            start: menu
            nodes:
              - id: menu
                kind: menu
                say: For the warehouse press 1. For the office press 2. For reception press 3.
                options:
                  - { id: warehouse, key: "1", next: to-warehouse }
                  - { id: office, key: "2", next: to-office }
                  - { id: reception, key: "3", next: to-reception }
                fallback: bye
              - { id: to-warehouse, kind: transfer, say: Transferring you to the warehouse., number: "+14155550199", callerId: "+15005550006", timeout: 20s, next: after-transfer }
              - { id: to-office, kind: transfer, sip: "sip:frontdesk@pbx.example.com" }
              - { id: to-reception, kind: transfer, client: reception }
              - id: after-transfer
                kind: branch
                when:
                  - if: outcome == 'completed'
                    goto: bye
                else: busy-line
              - { id: busy-line, kind: hangup, say: The warehouse is busy. Please call again later. }
              - { id: bye, kind: hangup, say: Goodbye. }
            """);
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Flows:Path"] = FlowsPath,
        ["Flows:Voice"] = "front-desk",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(FlowsPath, recursive: true);
    }
}

public class VoiceTransferTests(TransferFixture fx) : IClassFixture<TransferFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetCallAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ATransferDialsTheNumberAndTheFlowGoesOnWithHowItWent()
    {
        var caller = new TwimlCaller(fx, "+14155550180");
        await caller.DialAsync();
        await caller.PressAsync("1");
        Assert.Contains("Transferring you to the warehouse.", caller.Says);
        var dial = caller.Verb("Dial")!;
        Assert.Equal(("+14155550199", "+15005550006", "20"), (dial.Element("Number")!.Value, dial.Attribute("callerId")!.Value, dial.Attribute("timeout")!.Value));

        await caller.PostAsync(dial.Attribute("action")!.Value, [new("DialCallStatus", "busy")]);
        Assert.Contains("The warehouse is busy.", caller.Says);
        Assert.NotNull(caller.Verb("Hangup"));
        var conversation = await fx.ConversationOfAsync(caller);
        var outcome = (await ContactCenter.Tests.Routing.RoutingKit.EventsAsync(fx.App, conversation, "call.ivr")).Single(e => e.Data("kind") == "outcome");
        Assert.Equal(("to-warehouse", "busy"), (outcome.Data("node"), outcome.Data("detail")));
    }

    [Theory]
    [InlineData("2", "Sip", "sip:frontdesk@pbx.example.com")]
    [InlineData("3", "Client", "reception")]
    public async Task ATransferToSipOrAClientDialsThatAndEndsTheFlow(string key, string noun, string address)
    {
        var caller = new TwimlCaller(fx, "+14155550181");
        await caller.DialAsync();
        await caller.PressAsync(key);
        Assert.Equal(address, caller.Verb("Dial")!.Element(noun)!.Value);
        // When the transferred call ends, Twilio asks the Dial action what next: the flow is over.
        await caller.PostAsync(caller.Verb("Dial")!.Attribute("action")!.Value, [new("DialCallStatus", "completed")]);
        Assert.NotNull(caller.Verb("Hangup"));
    }
}
