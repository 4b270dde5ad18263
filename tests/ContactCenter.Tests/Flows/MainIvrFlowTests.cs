using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Flows;
using static ContactCenter.Tests.Flows.FlowTestSupport;

namespace ContactCenter.Tests.Flows;

/// <summary>The shipped main IVR, walked through the pure engine as a caller would.</summary>
public class MainIvrFlowTests
{
    private static readonly Flow Ivr = Shipped("main-ivr");

    private static EngineCall InMainMenu(DateTimeOffset? at = null, FlowStart? start = null)
    {
        var call = new EngineCall(Ivr, at ?? OpenMonday);
        call.Start(start);
        Assert.Equal("choose-language", call.Node);
        call.Keys("1");
        return call;
    }

    [Fact]
    public void BillingByKeyOffersACallbackThenQueuesInBillingWhenTheCallerHolds()
    {
        var call = InMainMenu();
        Assert.Equal("main-menu", call.Node);
        Assert.Contains("Welcome to Northwind.", call.Step.Said());
        var menu = call.Step.Expect!;
        Assert.Equal(["billing", "support", "sales", "order"], menu.Choices.Select(c => c.Id));
        Assert.True(menu.Keypad);
        Assert.True(menu.Speech);
        Assert.Equal(1, menu.NumDigits);
        Assert.Equal("en-US", menu.Locale);

        call.Keys("1");
        Assert.Equal("offer-callback", call.Node);
        Assert.Contains(call.Step.Events, e => e is { Type: "choice", Node: "main-menu", Option: "billing", Input: "1" });
        Assert.Equal(["accept", "decline"], call.Step.Expect!.Choices.Select(c => c.Id));

        call.Keys("2");
        Assert.True(call.Step.Ended);
        var enqueue = call.Step.Action<EnqueueAction>();
        Assert.Equal("billing", enqueue.Queue);
        Assert.False(enqueue.AwaitsOutcome);
        Assert.Contains("Please hold", call.Step.Said());
    }

    [Fact]
    public void AWrongKeyRepeatsTheMenuOnceThenTheFallbackTakesTheCallerToTheGeneralQueue()
    {
        var call = InMainMenu();

        call.Keys("7");
        Assert.Equal("main-menu", call.Node);
        Assert.Equal(1, call.Step.State.Attempts);
        Assert.Equal(2, call.Step.Expect!.Attempt);
        Assert.Equal("Sorry, that's not one of the options.", call.Step.Expect.Prompts[0].Text);
        Assert.StartsWith("For billing, press 1.", call.Step.Expect.Prompts[1].Text);
        Assert.Contains(call.Step.Events, e => e is { Type: "no-match", Input: "7" });

        call.Keys("9");
        Assert.True(call.Step.Ended);
        Assert.Contains(call.Step.Events, e => e is { Type: "fallback", Node: "main-menu", Detail: "route-general" });
        Assert.Equal("general", call.Step.Action<EnqueueAction>().Queue);
    }

    [Fact]
    public void SilenceRepeatsTheQuestionWithItsNoInputPromptAndAnAnswerAfterwardsStillCounts()
    {
        var call = InMainMenu();

        call.Silence();
        Assert.Equal("main-menu", call.Node);
        Assert.Equal("Sorry, I didn't hear anything.", call.Step.Expect!.Prompts[0].Text);
        Assert.Contains(call.Step.Events, e => e.Type == "no-input");

        call.Keys("3");
        Assert.Equal("offer-callback", call.Node);
        Assert.Equal(0, call.Step.State.Attempts);
        Assert.Equal("sales", call.Step.State.Variables["route.queue"].GetString());
    }

    [Theory]
    [InlineData("billing")]
    [InlineData("Billing.")]
    [InlineData("I have a question about my invoice")]
    [InlineData("one")]
    public void SpeechThatNamesBillingOrOneOfItsSynonymsChoosesBilling(string words)
    {
        var call = InMainMenu();
        call.Say(words);
        Assert.Equal("offer-callback", call.Node);
        Assert.Equal("billing", call.Step.State.Variables["route.queue"].GetString());
    }

    [Fact]
    public void TheLongestMatchingPhraseWinsAndUnknownWordsAreAMiss()
    {
        var call = InMainMenu();
        call.Say("my internet is not working");
        Assert.Equal("support", call.Step.State.Variables["route.queue"].GetString());

        var other = InMainMenu();
        other.Say("the weather in Paris");
        Assert.Equal("main-menu", other.Node);
        Assert.Contains(other.Step.Events, e => e is { Type: "no-match", Input: "the weather in Paris" });
    }

    [Fact]
    public void ChoosingSpanishSwitchesEveryLaterPromptAndTheSpeechSynonyms()
    {
        var call = new EngineCall(Ivr, OpenMonday);
        call.Start();
        call.Say("español");
        Assert.Equal("es", call.Step.State.Language);
        Assert.Contains(call.Step.Events, e => e is { Type: "language", Detail: "es" });
        Assert.Contains("Bienvenido a Northwind.", call.Step.Said());
        Assert.StartsWith("Para facturación, oprima 1.", call.Step.Expect!.Prompts.Single().Text);
        Assert.Equal("es-US", call.Step.Expect.Locale);
        Assert.Equal("Facturación", call.Step.Expect.Choices[0].Title);

        call.Say("tengo una pregunta sobre mi factura");
        Assert.Equal("billing", call.Step.State.Variables["route.queue"].GetString());
        Assert.StartsWith("Para que le devolvamos la llamada", call.Step.Expect!.Prompts.Single().Text);
    }

    [Fact]
    public void AfterHoursTheCallerHearsTheHoursAndLeavesAVoicemailThatEndsTheCall()
    {
        var call = new EngineCall(Ivr, SaturdayAfternoon);
        call.Start();
        call.Keys("1");
        Assert.Equal("leave-message", call.Node);
        Assert.Equal(FlowWait.Action, call.Step.State.Wait);
        Assert.Contains("Our offices are closed.", call.Step.Said());
        var voicemail = call.Step.Action<VoicemailAction>();
        Assert.Equal("general", voicemail.Queue);
        Assert.Equal(TimeSpan.FromMinutes(2), voicemail.MaxLength);
        Assert.True(voicemail.AwaitsOutcome);
        Assert.Same(voicemail, call.Step.AwaitedAction);

        call.Send(new FlowInput.Outcome("recorded"));
        Assert.True(call.Step.Ended);
        Assert.Contains("your message has been saved", call.Step.Said());
        call.Step.Action<HangupAction>();
    }

    [Fact]
    public void OnAHolidayTheCallerHearsTheHolidayMessageBeforeTheVoicemail()
    {
        var call = new EngineCall(Ivr, Thanksgiving);
        call.Start();
        call.Keys("1");
        Assert.Contains("closed today for the holiday", call.Step.Said());
        Assert.Equal("leave-message", call.Node);
    }

    [Fact]
    public void AKnownCallerIsGreetedByFirstNameAndOfferedTheirOpenConversationOnAnotherChannel()
    {
        var customer = new Customer(Guid.NewGuid(), "Ana Lopez", DateTimeOffset.UtcNow, [],
        [
            new Conversation(Guid.NewGuid(), Guid.Empty, Channel.WhatsApp, ConversationStatus.Queued, "billing", null, 0,
                DateTimeOffset.UtcNow, null, null),
        ]);
        var call = InMainMenu(start: FlowCustomerVariables.For(customer, Channel.Voice, "+14155550123"));
        Assert.Contains("Hello Ana, welcome back to Northwind.", call.Step.Said());
        Assert.Equal("continue-conversation", call.Node);
        Assert.Contains("by whatsapp", call.Step.Expect!.Prompts.Single().Text);

        call.Keys("1");
        var enqueue = call.Step.Action<EnqueueAction>();
        Assert.Equal("billing", enqueue.Queue);
        Assert.Equal(5, enqueue.Priority);
    }

    [Fact]
    public void AnOpenConversationOnTheSameChannelIsNotOfferedAndAnUnnamedCallerIsNotGreetedByName()
    {
        var customer = new Customer(Guid.NewGuid(), null, DateTimeOffset.UtcNow, [],
            [new Conversation(Guid.NewGuid(), Guid.Empty, Channel.Voice, ConversationStatus.Open, null, null, 0, DateTimeOffset.UtcNow, null, null)]);
        var call = InMainMenu(start: FlowCustomerVariables.For(customer, Channel.Voice, "+14155550123"));
        Assert.Equal("main-menu", call.Node);
        Assert.Contains("Welcome to Northwind.", call.Step.Said());
    }

    [Fact]
    public void AcceptingTheCallbackAsksForOneToTheCallersNumberAndHangsUp()
    {
        var call = InMainMenu(start: FlowCustomerVariables.For(null, Channel.Voice, "+14155550123"));
        call.Keys("2");
        call.Say("please call me back");
        Assert.True(call.Step.Ended);
        var callback = call.Step.Action<CallbackAction>();
        Assert.Equal(("support", "+14155550123"), (callback.Queue, callback.Number));
        call.Step.Action<HangupAction>();
        Assert.Contains("We'll call you back", call.Step.Said());
    }

    [Fact]
    public void AnOrderNumberIsValidatedThenLookedUpAndItsStatusIsRead()
    {
        var call = InMainMenu();
        call.Keys("4");
        Assert.Equal("slot", call.Step.Expect!.Kind);
        Assert.Equal("#", call.Step.Expect.FinishOnKey);
        Assert.Equal(10, call.Step.Expect.MaxDigits);

        call.Keys("12#");
        Assert.Equal("order-number", call.Node);
        Assert.StartsWith("That doesn't look like an order number", call.Step.Expect!.Prompts[0].Text);

        call.Keys("4815162342");
        var lookup = call.Step.Action<LookupAction>();
        Assert.Equal(("orders", "/orders/4815162342", "GET"), (lookup.Endpoint, lookup.Url, lookup.Method));
        Assert.Equal(TimeSpan.FromSeconds(3), lookup.Timeout);
        Assert.Same(lookup, call.Step.AwaitedAction);

        call.Send(new FlowInput.LookupResult(200, """{ "status": "shipped", "estimatedDelivery": "Friday" }""", null));
        Assert.Contains("Order 4815162342 is shipped. Estimated delivery: Friday.", call.Step.Said());
        Assert.Equal("after-order", call.Node);
    }

    [Theory]
    [InlineData(404, null, "We couldn't find order 12345.")]
    [InlineData(500, null, "We can't look up orders right now.")]
    [InlineData(0, "timeout", "We can't look up orders right now.")]
    public void AFailedLookupTakesTheErrorBranch(int status, string? error, string expected)
    {
        var call = InMainMenu();
        call.Keys("4");
        call.Keys("12345#");
        call.Send(new FlowInput.LookupResult(status, status == 0 ? null : """{"error":"x"}""", error));
        Assert.Contains(expected, call.Step.Said());
        Assert.Equal(error ?? $"status {status}", call.Step.State.Variables["http.error"].GetString());
    }

    [Fact]
    public void InputThatDoesNotFitTheWaitIsRefused()
    {
        var call = InMainMenu();
        Assert.Throws<FlowInputException>(() => call.Send(new FlowInput.Outcome("completed")));
        call.Keys("2");
        call.Keys("2");
        Assert.True(call.Step.Ended);
        Assert.Throws<FlowInputException>(() => call.Keys("1"));
    }
}
