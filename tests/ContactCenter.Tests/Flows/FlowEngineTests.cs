using System.Text.Json;
using ContactCenter.Core.Flows;
using static ContactCenter.Tests.Flows.FlowTestSupport;

namespace ContactCenter.Tests.Flows;

/// <summary>Every node kind through the pure engine, on small flows written for the purpose.</summary>
public class FlowEngineTests
{
    private static readonly DateTimeOffset Now = OpenMonday;

    [Fact]
    public void SayPlaySetAndBranchRunInOneTurnUntilAQuestionWithVariablesInPrompts()
    {
        var flow = Parse("""
            start: hi
            nodes:
              - { id: hi, kind: say, say: "Hello {customer.name|there}, {{not a variable}}", next: jingle }
              - { id: jingle, kind: play, audio: "https://cdn.example.com/jingle-{channel}.mp3", say: "(jingle)", next: mark }
              - id: mark
                kind: set
                set: { vip: true, tier: 2, greeting: "Dear {customer.name}", gone: null }
                next: route
              - id: route
                kind: branch
                when:
                  - { if: "tier >= 3 or not vip", goto: plain }
                  - { if: "vip and greeting contains 'ana'", goto: ask }
                else: plain
              - { id: plain, kind: hangup }
              - id: ask
                kind: menu
                say: "{greeting}, press 1."
                options: [{ id: one, key: "1", next: plain }]
                fallback: plain
            """);
        var call = new EngineCall(flow, Now);
        call.Start(Variables(("customer.name", "Ana"), ("channel", "voice"), ("gone", "x")));

        Assert.Equal("ask", call.Node);
        Assert.Equal("Hello Ana, {not a variable}", call.Step.Prompts[0].Text);
        Assert.Equal("https://cdn.example.com/jingle-voice.mp3", call.Step.Prompts[1].AudioUrl);
        Assert.Equal("(jingle)", call.Step.Prompts[1].Text);
        Assert.Equal("Dear Ana, press 1.", call.Step.Expect!.Prompts.Single().Text);
        Assert.True(call.Step.State.Variables["vip"].GetBoolean());
        Assert.Equal(2, call.Step.State.Variables["tier"].GetInt32());
        Assert.False(call.Step.State.Variables.ContainsKey("gone"));

        var stranger = new EngineCall(flow, Now);
        stranger.Start();
        Assert.Equal("Hello there, {not a variable}", stranger.Step.Prompts[0].Text);
        Assert.True(stranger.Step.Ended, "without a name the branch takes the else");
    }

    [Theory]
    [InlineData("order.status == 'Shipped'", true)]
    [InlineData("order.status != 'shipped'", false)]
    [InlineData("order.total > 99.5 and order.total <= 100", true)]
    [InlineData("missing", false)]
    [InlineData("not missing && (order.count == 0 || customer.known)", true)]
    [InlineData("customer.known == false", true)]
    [InlineData("order.count", false)]
    [InlineData("order.status contains 'HIP'", true)]
    public void ConditionsCompareNumbersAndTextsAndTreatMissingAsFalse(string condition, bool expected)
    {
        var variables = Variables(("order.status", "shipped"), ("order.total", 100), ("order.count", 0), ("customer.known", false)).Variables;
        Assert.Equal(expected, FlowCondition.Parse(condition).Evaluate(variables));
    }

    private const string ChatMenu = """
        channel: messaging
        languages: [en, es]
        start: menu
        nodes:
          - id: menu
            kind: menu
            say: { en: "How can I help?", es: "¿Cómo le ayudo?" }
            options:
              - { id: orders, key: "1", title: { en: Order status, es: Estado del pedido }, speech: { en: [tracking], es: [envío] }, next: email }
              - { id: human, key: "2", title: { en: Talk to a person, es: Hablar con una persona }, next: agent }
            retries: 0
            fallback: agent
          - id: email
            kind: collect
            say: Your email?
            variable: customer.email
            validate: email
            invalid: That is not an email address.
            next: code
            fallback: agent
          - id: code
            kind: collect
            say: The code from your letter?
            variable: code
            validate: { regex: "[A-Z]{3}-\\d{2}" }
            next: kb
            fallback: agent
          - { id: kb, kind: answer, query: "{last.input} for {customer.email}", answered: answer, notFound: agent }
          - { id: answer, kind: say, say: "{kb.answer}", next: done }
          - { id: done, kind: end, say: Bye! }
          - { id: agent, kind: handoff, say: A person will reply., queue: "{team|general}", reason: "wanted {last.input}", priority: 3 }
        """;

    [Theory]
    [InlineData("choice", "orders")]
    [InlineData("text", "1")]
    [InlineData("text", "order status")]
    [InlineData("text", "Orders")]
    [InlineData("text", "where is my tracking number")]
    public void ChatAnswersMatchByButtonIdKeyTitleIdOrSynonym(string kind, string value)
    {
        var chat = new EngineCall(Parse(ChatMenu), Now);
        chat.Start();
        Assert.Equal(["Order status", "Talk to a person"], chat.Step.Expect!.Choices.Select(c => c.Title));
        chat.Send(kind == "choice" ? new FlowInput.Choice(value, "Order status") : new FlowInput.Text(value));
        Assert.Equal("email", chat.Node);
    }

    [Fact]
    public void SlotsAreValidatedAndNormalizedThenTheKnowledgeBaseAnswerIsSaid()
    {
        var chat = new EngineCall(Parse(ChatMenu), Now);
        chat.Start();
        chat.Type("1");
        chat.Type("ana at example");
        Assert.Equal("That is not an email address.", chat.Step.Expect!.Prompts[0].Text);
        chat.Type("Ana@Example.com");
        Assert.Equal("ana@example.com", chat.Step.State.Variables["customer.email"].GetString());
        Assert.Contains(chat.Step.Events, e => e is { Type: "slot", Option: "customer.email", Detail: "ana@example.com" });

        chat.Type("abc-12");
        Assert.Equal("code", chat.Node);
        chat.Type("ABC-12");
        var search = chat.Step.Action<KnowledgeAction>();
        Assert.Equal("ABC-12 for ana@example.com", search.Query);
        Assert.Equal(FlowWait.Action, chat.Step.State.Wait);

        chat.Send(new FlowInput.KnowledgeResult(true, "Use the code at the kiosk.", "kb-7", 0.8));
        Assert.Equal("Use the code at the kiosk. | Bye!", chat.Step.Said());
        Assert.True(chat.Step.Action<EndAction>().Resolve);
        Assert.Equal("kb-7", chat.Step.State.Variables["kb.article"].GetString());
    }

    [Fact]
    public void NoKnowledgeBaseAnswerHandsOffWithQueueReasonAndPriority()
    {
        var chat = new EngineCall(Parse(ChatMenu), Now);
        chat.Start(Variables(("team", "support")));
        chat.Type("1");
        chat.Type("ana@example.com");
        chat.Type("XYZ-99");
        chat.Send(new FlowInput.KnowledgeResult(false));
        var handoff = chat.Step.Action<HandoffAction>();
        Assert.Equal(("support", "wanted XYZ-99", 3), (handoff.Queue, handoff.Reason, handoff.Priority));
        Assert.True(chat.Step.Ended);
    }

    [Fact]
    public void WithNoRetriesTheFirstMissFallsBackAndSpanishTitlesAreShown()
    {
        var chat = new EngineCall(Parse(ChatMenu), Now);
        chat.Start(new FlowStart("es", FlowValues.None));
        Assert.Equal("¿Cómo le ayudo?", chat.Step.Expect!.Prompts.Single().Text);
        Assert.Equal("Estado del pedido", chat.Step.Expect.Choices[0].Title);
        Assert.Equal(["envío"], chat.Step.Expect.Choices[0].Synonyms);
        chat.Type("no sé");
        Assert.Equal("general", chat.Step.Action<HandoffAction>().Queue);
        Assert.Contains(chat.Step.Events, e => e.Type == "fallback");
    }

    [Fact]
    public void TransferAndEnqueueWithNextContinueWithTheOutcomeTheCallerSideReports()
    {
        var flow = Parse("""
            start: queue
            nodes:
              - { id: queue, kind: enqueue, queue: vip, priority: 9, next: after-queue }
              - id: after-queue
                kind: branch
                when: [{ if: "outcome == 'bridged'", goto: bye }]
                else: desk
              - { id: desk, kind: transfer, say: Transferring., number: "+14155550100", callerId: "{caller}", timeout: 20s, next: voicemail }
              - { id: voicemail, kind: voicemail, say: Leave a message., maxLength: 30 }
              - { id: bye, kind: hangup }
            """);
        var call = new EngineCall(flow, Now);
        call.Start(Variables(("caller", "+14155550199")));
        var enqueue = call.Step.Action<EnqueueAction>();
        Assert.Equal(("vip", 9, true), (enqueue.Queue, enqueue.Priority, enqueue.AwaitsOutcome));

        call.Send(new FlowInput.Outcome("leave"));
        var transfer = call.Step.Action<TransferAction>();
        Assert.Equal((TransferKind.Number, "+14155550100", "+14155550199", TimeSpan.FromSeconds(20)),
            (transfer.To, transfer.Address, transfer.CallerId, transfer.Timeout));

        call.Send(new FlowInput.Outcome("no-answer"));
        var voicemail = call.Step.Action<VoicemailAction>();
        Assert.False(voicemail.AwaitsOutcome);
        Assert.True(call.Step.Ended, "a voicemail without next ends the flow");
    }

    [Fact]
    public void ALanguageChoiceThatRunsOutOfRetriesKeepsTheDefaultLanguage()
    {
        var flow = Parse("""
            languages: { en: en-GB, es: es-ES }
            start: lang
            nodes:
              - id: lang
                kind: language
                say: "1 English, 2 Español"
                retries: 1
                options: [{ language: en, key: "1" }, { language: es, key: "2" }]
                next: hello
              - { id: hello, kind: hangup, say: { en: Hello, es: Hola } }
            """);
        var call = new EngineCall(flow, Now);
        call.Start(new FlowStart("es", FlowValues.None));
        Assert.Equal("es-ES", call.Step.Expect!.Locale);
        call.Silence();
        call.Keys("5");
        Assert.Equal("Hola", call.Step.Said());
        Assert.Equal("es", call.Step.State.Language);
    }

    [Fact]
    public void ResumeAtContinuesASessionThatHandedOffAtANamedNode()
    {
        var flow = Parse(ChatMenu);
        var chat = new EngineCall(flow, Now);
        chat.Start();
        chat.Type("2");
        Assert.True(chat.Step.Ended);

        var resumed = FlowEngine.ResumeAt(flow, chat.Step.State, "menu", Now);
        Assert.Equal(FlowWait.Input, resumed.State.Wait);
        Assert.Equal("How can I help?", resumed.Said());
        Assert.Equal("2", resumed.State.Variables["last.input"].GetString());
        Assert.Throws<FlowInputException>(() => FlowEngine.ResumeAt(flow, chat.Step.State, "nowhere", Now));
    }

    [Fact]
    public void LookupsEscapeVariablesInTheUrlAndMapNestedResultsIntoVariables()
    {
        var flow = Parse("""
            start: find
            nodes:
              - id: find
                kind: lookup
                method: post
                url: "https://api.example.com/search?q={query}"
                headers: { X-Caller: "{caller}" }
                body: '{{ "query": "{query}" }}'
                result: { first.name: "items[0].name", count: total, everything: "$" }
                next: found
                error: failed
              - { id: found, kind: hangup, say: "{first.name} of {count}" }
              - { id: failed, kind: hangup, say: "failed: {http.error}" }
            """);
        var call = new EngineCall(flow, Now);
        call.Start(Variables(("query", "a&b \"c\""), ("caller", "+1415")));
        var lookup = call.Step.Action<LookupAction>();
        Assert.Equal("https://api.example.com/search?q=a%26b%20%22c%22", lookup.Url);
        Assert.Equal("""{ "query": "a\u0026b \u0022c\u0022" }""", lookup.Body);
        using (JsonDocument.Parse(lookup.Body!)) { }
        Assert.Equal("+1415", lookup.Headers["X-Caller"]);
        Assert.Equal("POST", lookup.Method);

        call.Send(new FlowInput.LookupResult(200, """{ "items": [ { "name": "Lamp" } ], "total": 3 }""", null));
        Assert.Equal("Lamp of 3", call.Step.Said());

        var broken = new EngineCall(flow, Now);
        broken.Start();
        broken.Send(new FlowInput.LookupResult(200, "<html>", null));
        Assert.Equal("failed: invalid response", broken.Step.Said());
    }
}
