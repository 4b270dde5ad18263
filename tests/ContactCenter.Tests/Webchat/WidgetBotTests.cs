using ContactCenter.Tests.Email;
using ContactCenter.Tests.Routing;

namespace ContactCenter.Tests.Webchat;

/// <summary>
/// Three widgets and no bot for the channel: "site" has the shipped messaging bot, "returns" a returns-desk bot of its
/// own (a flow in a copy of the flows folder), "other" none. The flows folder is the repository's plus that one flow.
/// </summary>
public sealed class WidgetBotFixture : WebchatFixture
{
    private readonly string _flows = Directory.CreateTempSubdirectory("cc-widget-bots-").FullName;

    public const string ReturnsGreeting = "Returns desk here. Is this about a return?";

    public override Task InitializeAsync()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ContactCenterApp.RepositoryRoot, "flows"), "*.yaml"))
            File.Copy(file, Path.Combine(_flows, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(_flows, "returns-bot.yaml"), $$"""
            name: returns-bot
            description: The returns desk's own bot (tests)
            channel: messaging
            languages: [en]
            start: hello
            nodes:
              - id: hello
                kind: menu
                say: "{{ReturnsGreeting}}"
                options:
                  - id: "yes"
                    key: "1"
                    title: "Yes"
                    next: to-agent
                retries: 0
                fallback: to-agent
              - id: to-agent
                kind: handoff
                say: "I'm passing you to the returns team."
                queue: general
                reason: returns
            """);
        return base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_flows, recursive: true);
    }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(AllSettings)
    {
        ["Flows:Path"] = _flows,
        ["Flows:Bots:webchat"] = "",
        ["Webchat:Widgets:site:Bot"] = "messaging-bot",
        ["Webchat:Widgets:returns:Origins:0"] = Origin,
        ["Webchat:Widgets:returns:Bot"] = "returns-bot",
    };
}

public sealed class WidgetBotTests(WidgetBotFixture fx) : IClassFixture<WidgetBotFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => fx.SettledAsync();

    private static async Task<string> FirstBotReplyAsync(VisitorClient visitor)
    {
        string? text = null;
        await TestSupport.EventuallyAsync(async () =>
        {
            text = (await visitor.MessagesAsync()).FirstOrDefault(e => e["from"]!.GetValue<string>() == "bot")?.Text();
            return text is not null;
        }, "the bot answers");
        return text!;
    }

    [Fact]
    public async Task Each_widget_is_answered_by_its_own_bot_and_a_widget_without_one_goes_to_the_queue()
    {
        using var shop = await VisitorClient.StartAsync(fx.App, widget: "site");
        using var returns = await VisitorClient.StartAsync(fx.App, widget: "returns");
        using var partner = await VisitorClient.StartAsync(fx.App, widget: "other", origin: WebchatFixture.OtherOrigin);
        await shop.SayAsync("hello");
        await returns.SayAsync("hello");
        var plain = await partner.SayAsync("hello");

        Assert.Contains("virtual assistant", await FirstBotReplyAsync(shop));
        Assert.Equal(WidgetBotFixture.ReturnsGreeting, await FirstBotReplyAsync(returns));

        // Returns' bot hands over on any answer; its handoff names the returns reason.
        var next = await returns.SayAsync("my parcel");
        var returnsConversation = Guid.Parse(next["conversationId"]!.GetValue<string>());
        await fx.App.WaitForAsync(returnsConversation, c => c["status"]!.GetValue<string>() == "queued", "the returns bot handed over");

        // The third widget has no bot (the channel has none): the visitor waits for a person, unanswered by any bot.
        var plainConversation = Guid.Parse(plain["conversationId"]!.GetValue<string>());
        await fx.App.WaitForAsync(plainConversation, c => c["status"]!.GetValue<string>() == "queued", "the plain widget's chat is queued");
        await fx.SettledAsync();
        Assert.DoesNotContain(await partner.MessagesAsync(), e => e["from"]!.GetValue<string>() == "bot");
        Assert.Equal(2, await fx.Db.CountAsync("select count(*) from bot_conversations"));
    }
}
