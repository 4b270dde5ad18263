using ContactCenter.Core.Channels;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace ContactCenter.Tests.Flows;

/// <summary>Flow sessions in PostgreSQL: start, step, replay, conflicts, and lookups against a fake order API.</summary>
public class FlowSessionStoreTests(FlowsFixture fx) : IClassFixture<FlowsFixture>, IAsyncLifetime
{
    private FlowSessionStore Store => fx.App.Service<FlowSessionStore>();

    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Orders.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string NewKey() => "CA" + Guid.NewGuid().ToString("N");

    private static FlowSession Advanced(FlowTurnResult result) =>
        Assert.IsType<FlowTurnResult.Advanced>(result).Session;

    [Fact]
    public async Task ACallIsStartedStoredAndStepsAdvanceItsVersionAndState()
    {
        var key = NewKey();
        var start = FlowCustomerVariables.For(null, Channel.Voice, "+14155550123");
        var started = Advanced(await Store.StartAsync(key, "main-ivr", start, default));
        Assert.Equal((1, "choose-language", FlowWait.Input), (started.Version, started.State.Node, started.State.Wait));
        Assert.Equal("choose-language", started.LastStep.Expect!.Node);

        var menu = Advanced(await Store.StepAsync(key, new FlowInput.Digits("2"), expectedVersion: 1, default));
        Assert.Equal((2, "main-menu", "es"), (menu.Version, menu.State.Node, menu.State.Language));

        var stored = await Store.GetAsync(key, default);
        Assert.NotNull(stored);
        Assert.Equal(2, stored.Version);
        Assert.Equal("+14155550123", stored.State.Variables["caller"].GetString());
        Assert.False(stored.State.Variables["customer.known"].GetBoolean());
        Assert.Equal(menu.LastStep.Expect!.Prompts.Select(p => p.Text), stored.LastStep.Expect!.Prompts.Select(p => p.Text));
        Assert.Equal(["billing", "support", "sales", "order"], stored.LastStep.Expect.Choices.Select(c => c.Id));
        Assert.Contains(stored.LastStep.Events, e => e is { Type: "language", Detail: "es" });

        await using var connection = await fx.Db.OpenConnectionAsync();
        await using var row = await connection.Sql("select flow, node, language, waiting, attempts, version, variables->>'caller' from flow_sessions where session_key = $1", key)
            .ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal(("main-ivr", "main-menu", "es", "input", 0, 2, "+14155550123"),
            (row.GetString(0), row.GetString(1), row.GetString(2), row.GetString(3), row.GetInt32(4), row.GetInt32(5), row.GetString(6)));
    }

    [Fact]
    public async Task ARetriedStartLeavesTheRunningSessionAloneAndAStaleStepIsAConflict()
    {
        var key = NewKey();
        Advanced(await Store.StartAsync(key, "main-ivr", FlowStart.Empty, default));
        Advanced(await Store.StepAsync(key, new FlowInput.Digits("1"), 1, default));

        var again = Assert.IsType<FlowTurnResult.Existing>(await Store.StartAsync(key, "main-ivr", FlowStart.Empty, default));
        Assert.Equal((2, "main-menu"), (again.Session.Version, again.Session.State.Node));

        // The same Gather answered twice (a retried webhook): the second carries the old version.
        var stale = Assert.IsType<FlowTurnResult.Conflict>(await Store.StepAsync(key, new FlowInput.Digits("1"), 1, default));
        Assert.Equal((2, "main-menu"), (stale.Current.Version, stale.Current.State.Node));
        Assert.IsType<FlowTurnResult.NotFound>(await Store.StepAsync(NewKey(), new FlowInput.Digits("1"), null, default));
    }

    [Fact]
    public async Task ConcurrentAnswersToOneQuestionAdvanceTheSessionOnce()
    {
        for (var round = 0; round < 5; round++)
        {
            var key = NewKey();
            Advanced(await Store.StartAsync(key, "main-ivr", FlowStart.Empty, default));
            var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
                Task.Run(() => Store.StepAsync(key, new FlowInput.Digits(i % 2 == 0 ? "1" : "2"), 1, default))));

            var winner = Assert.Single(results.OfType<FlowTurnResult.Advanced>());
            Assert.All(results.Where(r => r is not FlowTurnResult.Advanced), r => Assert.IsType<FlowTurnResult.Conflict>(r));
            var stored = (await Store.GetAsync(key, default))!;
            Assert.Equal(2, stored.Version);
            Assert.Equal(winner.Session.State.Language, stored.State.Language);
        }
    }

    [Fact]
    public async Task ConcurrentStepsWithoutAnExpectedVersionNeverLoseAnUpdate()
    {
        var key = NewKey();
        Advanced(await Store.StartAsync(key, "patience", FlowStart.Empty, default));
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => Store.StepAsync(key, new FlowInput.Digits("9"), null, default))));

        var advanced = results.OfType<FlowTurnResult.Advanced>().Select(a => a.Session).ToList();
        Assert.NotEmpty(advanced);
        Assert.All(results, r => Assert.True(r is FlowTurnResult.Advanced or FlowTurnResult.Conflict, r.ToString()));
        Assert.Equal(advanced.Count, advanced.Select(s => s.Version).Distinct().Count());
        var stored = (await Store.GetAsync(key, default))!;
        Assert.Equal(1 + advanced.Count, stored.Version);
        Assert.Equal(advanced.Count, stored.State.Attempts);
    }

    [Fact]
    public async Task AnEndedSessionRefusesInputAndAFreshStartBeginsAgain()
    {
        var key = NewKey();
        Advanced(await Store.StartAsync(key, "patience", FlowStart.Empty, default));
        var ended = Advanced(await Store.StepAsync(key, new FlowInput.Digits("1"), 1, default));
        Assert.True(ended.Ended);
        Assert.NotNull(ended.EndedAt);
        Assert.IsType<HangupAction>(Assert.Single(ended.LastStep.Actions));

        var refused = Assert.IsType<FlowTurnResult.Rejected>(await Store.StepAsync(key, new FlowInput.Digits("1"), null, default));
        Assert.Contains("ended", refused.Reason);

        var again = Advanced(await Store.StartAsync(key, "patience", FlowStart.Empty, default));
        Assert.Equal((3, "menu", false), (again.Version, again.State.Node, again.Ended));
        Assert.Null(again.EndedAt);
    }

    [Fact]
    public async Task ResumeAtTakesAHandedOffConversationBackToTheBot()
    {
        var key = Guid.NewGuid().ToString();
        Advanced(await Store.StartAsync(key, "messaging-bot", FlowStart.Empty, default));
        var handedOff = Advanced(await Store.StepAsync(key, new FlowInput.Choice("agent", "Talk to a person"), null, default));
        Assert.Equal("general", Assert.IsType<HandoffAction>(handedOff.LastStep.Actions.Single()).Queue);

        var resumed = Advanced(await Store.ResumeAtAsync(key, "anything-else", handedOff.Version, default));
        Assert.Equal((FlowWait.Input, "anything-else"), (resumed.State.Wait, resumed.State.Node));
        Assert.Equal(["Yes", "No, thanks"], resumed.LastStep.Expect!.Choices.Select(c => c.Title));
    }

    [Fact]
    public async Task AnOrderLookupCallsTheOrderApiWithItsKeyAndTheStatusIsReadToTheCaller()
    {
        fx.Orders.Given(Request.Create().WithPath("/api/orders/12345").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("""{ "status": "out for delivery", "estimatedDelivery": "today" }"""));
        var key = NewKey();
        Advanced(await Store.StartAsync(key, "main-ivr", FlowStart.Empty, default));
        Advanced(await Store.StepAsync(key, new FlowInput.Digits("1"), null, default));
        Advanced(await Store.StepAsync(key, new FlowInput.Speech("order status"), null, default));
        var read = Advanced(await Store.StepAsync(key, new FlowInput.Digits("12345#"), null, default));

        Assert.Contains("Order 12345 is out for delivery. Estimated delivery: today.", read.LastStep.Prompts.Select(p => p.Text));
        Assert.Equal("after-order", read.State.Node);
        Assert.DoesNotContain(read.LastStep.Actions, a => a is LookupAction);
        Assert.Contains(read.LastStep.Events, e => e is { Type: "lookup", Node: "order-lookup", Detail: "status 200" });
        // A slow request of another test may still land in the log; this test's request is the one for its order.
        var request = Assert.Single(fx.Orders.LogEntries, e => e.RequestMessage.Path == "/api/orders/12345").RequestMessage;
        Assert.Equal(FlowsFixture.OrdersApiKey, request.Headers!["X-Api-Key"].Single());
        Assert.Equal(4, read.Version);
    }

    [Fact]
    public async Task ASlowOrderApiTimesOutIntoTheFlowsErrorBranch()
    {
        fx.Orders.Given(Request.Create().WithPath("/api/orders/NW-55555").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("""{ "status": "late" }""").WithDelay(TimeSpan.FromSeconds(3)));
        var key = Guid.NewGuid().ToString();
        Advanced(await Store.StartAsync(key, "order-check", FlowStart.Empty, default));
        var result = Advanced(await Store.StepAsync(key, new FlowInput.Text("my order is nw-55555"), null, default));

        Assert.Equal("Lookup failed: timeout.", result.LastStep.Prompts.Single().Text);
        Assert.Equal("support", Assert.IsType<HandoffAction>(result.LastStep.Actions.Single()).Queue);
        Assert.Equal("NW-55555", result.State.Variables["order.number"].GetString());
    }

    [Fact]
    public async Task AMissingOrderTakesTheNotFoundBranch()
    {
        fx.Orders.Given(Request.Create().WithPath("/api/orders/777777").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(404).WithBody("""{ "error": "no such order" }"""));
        var key = Guid.NewGuid().ToString();
        Advanced(await Store.StartAsync(key, "messaging-bot", FlowStart.Empty, default));
        Advanced(await Store.StepAsync(key, new FlowInput.Text("order status"), null, default));
        var result = Advanced(await Store.StepAsync(key, new FlowInput.Text("777777"), null, default));
        Assert.Contains("I couldn't find order 777777.", result.LastStep.Prompts.Select(p => p.Text));
        Assert.Equal("anything-else", result.State.Node);
        Assert.Equal(404, result.State.Variables["http.status"].GetInt32());
    }

    [Fact]
    public async Task TheLookupRunnerReportsAnUnconfiguredEndpointAndAnUnreachableHostAsErrors()
    {
        var runner = fx.App.Service<FlowLookupRunner>();
        var headers = new Dictionary<string, string>();
        var unconfigured = await runner.RunAsync(new LookupAction("n", "GET", "crm", "/customers/1", headers, null, TimeSpan.FromSeconds(2)), default);
        Assert.Equal((0, "not configured"), (unconfigured.Status, unconfigured.Error));

        // A port nothing listens on: the connection is refused at once.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var unreachable = await runner.RunAsync(
            new LookupAction("n", "GET", null, $"http://127.0.0.1:{port}/orders/1", headers, null, TimeSpan.FromSeconds(5)), default);
        Assert.Equal((0, "unreachable"), (unreachable.Status, unreachable.Error));

        fx.Orders.Given(Request.Create().WithPath("/api/echo").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBody("{}"));
        var posted = await runner.RunAsync(new LookupAction("n", "POST", "orders", "/echo", new Dictionary<string, string> { ["X-Trace"] = "t1" },
            """{ "a": 1 }""", TimeSpan.FromSeconds(10)), default);
        Assert.Equal((201, null), (posted.Status, posted.Error));
        var request = Assert.Single(fx.Orders.LogEntries, e => e.RequestMessage.Path == "/api/echo").RequestMessage;
        Assert.Equal("""{ "a": 1 }""", request.Body);
        Assert.Equal("t1", request.Headers!["X-Trace"].Single());
        Assert.Equal(FlowsFixture.OrdersApiKey, request.Headers!["X-Api-Key"].Single());
    }
}
