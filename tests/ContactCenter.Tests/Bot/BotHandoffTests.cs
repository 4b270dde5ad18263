using System.Net;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Bot;

/// <summary>From the bot to people and back, with the context, through the webhooks and the API.</summary>
public class BotHandoffTests(BotFixture fx) : IClassFixture<BotFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetBotAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ABillingProblemReachesAnAgentWithTheContextAndComesBackForTheSurvey()
    {
        const string customer = "+14155550210";
        await fx.SaysAsync(customer, "I was charged twice");
        var id = await fx.ConversationAsync("whatsapp", customer);
        Assert.Contains("Which order is the charge about?", await fx.LastReplyAsync(id, 1));
        await fx.SaysAsync(customer, "It's NW-12345");
        Assert.Contains("connecting you with our billing team", await fx.LastReplyAsync(id, 2));

        var conversation = await fx.App.WaitForStatusAsync(id, "queued");
        Assert.Equal("billing", conversation["queue"]!.GetValue<string>());
        var handoff = conversation["handoff"]!;
        Assert.Equal("billing", handoff["intent"]!.GetValue<string>());
        Assert.Equal("flow", handoff["trigger"]!.GetValue<string>());
        Assert.Equal("NW-12345", handoff["slots"]!["order.number"]!.GetValue<string>());
        Assert.Contains("I was charged twice", handoff["summary"]!.GetValue<string>());
        Assert.Equal("neutral", handoff["sentiment"]!["label"]!.GetValue<string>());
        Assert.Contains(handoff["customer"]!["identities"]!.AsArray(), i => i!["address"]!.GetValue<string>() == customer);
        Assert.Equal(["customer", "bot", "customer", "bot"], handoff["transcript"]!.AsArray().Select(t => t!["from"]!.GetValue<string>()));
        var toAgent = Assert.Single(await fx.App.EventsAsync(id, "handoff.to_agent"));
        Assert.Equal("billing", toAgent["data"]!["queue"]!.GetValue<string>());
        var billing = (await fx.App.Supervisor().GetJsonAsync("/api/queues/billing"));
        Assert.Equal(1, billing["waiting"]!.GetValue<int>());

        // An agent comes online, gets it, and answers over WhatsApp.
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/messages",
            new { text = "Sorry about that! I've refunded the second charge.", idempotencyKey = "refund-1" }, HttpStatusCode.Accepted);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.WhatsAppSent(customer).Contains("Sorry about that! I've refunded the second charge.")),
            "the agent's reply reached Twilio");

        // The agent hands back for the satisfaction question.
        var back = await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/handoff", new { to = "bot", node = "survey" }, HttpStatusCode.OK);
        Assert.Equal("bot", back["status"]!.GetValue<string>());
        Assert.Null(back["assignee"]);
        var toBot = Assert.Single(await fx.App.EventsAsync(id, "handoff.to_bot"));
        Assert.Equal("survey", toBot["data"]!["node"]!.GetValue<string>());
        Assert.Equal(ContactCenterApp.AgentId, toBot["data"]!["fromAgent"]!.GetValue<string>());
        // The hand-back is on the audit trail once, in the key's name.
        var audit = Assert.Single((await fx.App.Admin().GetJsonAsync("/api/audit?action=conversation.handed-back")).AsArray());
        Assert.Equal(id.ToString(), audit!["targetId"]!.GetValue<string>());
        Assert.Equal("Test agent", audit["actorName"]!.GetValue<string>());
        var agents = await fx.App.Supervisor().GetJsonAsync("/api/agents");
        var agent = agents.AsArray().Single(a => a!["id"]!.GetValue<string>() == ContactCenterApp.AgentId)!;
        Assert.Equal(0, agent["load"]!["messaging"]?.GetValue<int>() ?? 0);
        Assert.Contains("How satisfied are you", await fx.LastReplyAsync(id, 3));
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.WhatsAppSent(customer).Any(b => b.Contains("How satisfied") && b.Contains("5. Very happy"))),
            "the survey reached Twilio");

        await fx.SaysAsync(customer, "5");
        var csat = await fx.App.WaitForEventAsync(id, "csat.response");
        Assert.Equal(5, csat["data"]!["score"]!.GetValue<int>());
        Assert.Contains("Thank you for your feedback", await fx.LastReplyAsync(id, 4));
        conversation = await fx.App.WaitForStatusAsync(id, "resolved");
        // The answer closed the conversation; it was never queued again.
        Assert.Single(await fx.App.EventsAsync(id, "conversation.queued"));
        Assert.Equal("billing", conversation["queue"]!.GetValue<string>());
        var metrics = await fx.App.Supervisor().GetJsonAsync("/api/bot/metrics");
        Assert.Equal(0, metrics["contained"]!.GetValue<int>());
        Assert.Equal(1, metrics["handedOff"]!.GetValue<int>());
        Assert.Equal(5.0, metrics["csatAverage"]!.GetValue<double>());
    }

    [Fact]
    public async Task AfterAnAgentResolvesTheSurveyGoesOutAndItsAnswerIsNotANewRequest()
    {
        const string customer = "+14155550216";
        await fx.SaysAsync(customer, "agent");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.App.WaitForEventAsync(id, "conversation.queued");
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/messages", new { text = "All sorted!" }, HttpStatusCode.Accepted);
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/resolve", new { }, HttpStatusCode.OK);

        Assert.Contains("How satisfied are you", await fx.LastReplyAsync(id, 2));
        await fx.SettledAsync();
        await fx.SaysAsync(customer, "4");
        var csat = await fx.App.WaitForEventAsync(id, "csat.response");
        Assert.Equal(4, csat["data"]!["score"]!.GetValue<int>());
        Assert.Equal(ContactCenterApp.AgentId, csat["data"]!["handledBy"]!.GetValue<string>());
        Assert.Contains("Thank you for your feedback", await fx.LastReplyAsync(id, 3));

        // The answer opened a conversation (the old one was closed); it is closed at once, never queued.
        await fx.SettledAsync();
        var customerNode = await fx.CustomerAsync("whatsapp", customer);
        Assert.Empty(customerNode["openConversations"]!.AsArray());
        Assert.Equal(1, await fx.ScalarAsync("select count(*) from conversations where status = 'resolved' and id <> $1", id));
        Assert.Equal(1, await fx.ScalarAsync("select count(*) from timeline_events where type = 'conversation.queued'"));
        Assert.Equal(1, (await fx.App.Supervisor().GetJsonAsync("/api/bot/metrics"))["conversations"]!.GetValue<int>());
    }

    [Fact]
    public async Task AskingForAPersonMidFlowHandsOff()
    {
        const string customer = "+14155550211";
        await fx.SaysAsync(customer, "I was charged twice");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.BotRepliesAsync(id, 1);
        await fx.SaysAsync(customer, "I want to talk to a human");
        Assert.Contains("connecting you with a person", await fx.LastReplyAsync(id, 2));
        var conversation = await fx.App.WaitForStatusAsync(id, "queued");
        Assert.Equal("customer-request", conversation["handoff"]!["trigger"]!.GetValue<string>());
        Assert.Equal("billing", conversation["handoff"]!["intent"]!.GetValue<string>());
        // The flow had set the billing route before the customer asked.
        Assert.Equal("billing", conversation["queue"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUnhappyCustomerIsHandedOffWithRaisedPriority()
    {
        const string customer = "+14155550212";
        await fx.SaysAsync(customer, "Where is my order?");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.BotRepliesAsync(id, 1);
        await fx.SaysAsync(customer, "This is ridiculous, your service is terrible and useless!");
        var conversation = await fx.App.WaitForStatusAsync(id, "queued");
        var handoff = conversation["handoff"]!;
        Assert.Equal("sentiment", handoff["trigger"]!.GetValue<string>());
        Assert.Equal("negative", handoff["sentiment"]!["label"]!.GetValue<string>());
        Assert.True(handoff["sentiment"]!["score"]!.GetValue<int>() <= -2);
        Assert.Equal(5, conversation["priority"]!.GetValue<int>());
        var queued = Assert.Single(await fx.App.EventsAsync(id, "conversation.queued"));
        Assert.Equal(5, queued["data"]!["priority"]!.GetValue<int>());
    }

    [Fact]
    public async Task ACustomerWritingWhileWaitingGetsOneAcknowledgement()
    {
        const string customer = "+14155550213";
        await fx.SaysAsync(customer, "agent");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.App.WaitForEventAsync(id, "conversation.queued");
        await fx.SettledAsync();
        await fx.SaysAsync(customer, "hello?");
        await fx.SaysAsync(customer, "is anyone there?");
        await fx.SettledAsync();

        var replies = await fx.BotRepliesAsync(id, 2);
        Assert.Equal(2, replies.Count);
        var ack = replies[1]["text"]!.GetValue<string>();
        Assert.Contains("You're number 1 in line", ack);
        Assert.Contains("expected wait is about 2 min", ack);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.WhatsAppSent(customer).Any(b => b.Contains("in line"))), "the note reached Twilio");
        await Task.Delay(500);
        Assert.Single(fx.WhatsAppSent(customer), b => b.Contains("in line"));
    }

    [Fact]
    public async Task NobodyTakingTheConversationBringsTheBotBackWithACallbackOffer()
    {
        const string customer = "+14155550214";
        await fx.SaysAsync(customer, "How do I reset my password?");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.BotRepliesAsync(id, 1);
        await fx.SaysAsync(customer, "2");
        Assert.Contains("support team", await fx.LastReplyAsync(id, 2));
        var queued = await fx.App.WaitForStatusAsync(id, "queued");
        Assert.Equal("support", queued["queue"]!.GetValue<string>());
        Assert.Equal("How to reset your password", queued["handoff"]!["articlesShown"]![0]!["title"]!.GetValue<string>());

        // Bot:QueueTimeouts:support is 3 s in this fixture and no agent is available.
        var back = await fx.App.WaitForStatusAsync(id, "bot");
        Assert.Null(back["assignee"]);
        var toBot = await fx.App.WaitForEventAsync(id, "handoff.to_bot");
        Assert.Equal("bot-timeout", toBot["data"]!["reason"]!.GetValue<string>());
        Assert.Contains("Shall we call you back", await fx.LastReplyAsync(id, 3));
        Assert.Equal(0, (await fx.App.Supervisor().GetJsonAsync("/api/queues/support"))["waiting"]!.GetValue<int>());

        // "2": leave a message, with a validated email to answer to.
        await fx.SaysAsync(customer, "2");
        Assert.Contains("write your message", await fx.LastReplyAsync(id, 4));
        await fx.SaysAsync(customer, "My reset link never arrives.");
        Assert.Contains("which email address", await fx.LastReplyAsync(id, 5));
        await fx.SaysAsync(customer, "ana at example");
        Assert.Contains("doesn't look like an email address", await fx.LastReplyAsync(id, 6));
        await fx.SaysAsync(customer, "Ana@Example.com");
        Assert.Contains("your message is with the team", await fx.LastReplyAsync(id, 7));
        var again = await fx.App.WaitForStatusAsync(id, "queued");
        Assert.Equal("support", again["queue"]!.GetValue<string>());
        Assert.Equal("ana@example.com", again["handoff"]!["slots"]!["contact.email"]!.GetValue<string>());
        Assert.Equal("message left: My reset link never arrives. (answer to ana@example.com)", again["handoff"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task RepeatedMisunderstandingHandsOff()
    {
        const string customer = "+14155550217";
        await fx.SaysAsync(customer, "Where is my order?");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.BotRepliesAsync(id, 1);
        foreach (var (answer, replies) in new[] { ("the blue one", 2), ("I don't know", 3), ("yesterday", 4) })
        {
            await fx.SaysAsync(customer, answer);
            await fx.BotRepliesAsync(id, replies);
        }

        var conversation = await fx.App.WaitForStatusAsync(id, "queued");
        Assert.Equal("misunderstanding", conversation["handoff"]!["trigger"]!.GetValue<string>());
        Assert.Equal("order status", conversation["handoff"]!["intent"]!.GetValue<string>());
        Assert.Equal("general", conversation["queue"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheHandoffApiRefusesBadRequests()
    {
        const string customer = "+14155550215";
        await fx.SaysAsync(customer, "hi");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.BotRepliesAsync(id, 1);
        var agent = fx.App.Agent();
        await (await agent.PostAsync($"/api/conversations/{id}/handoff", System.Net.Http.Json.JsonContent.Create(new { to = "robot" })))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await agent.PostAsync($"/api/conversations/{id}/handoff", System.Net.Http.Json.JsonContent.Create(new { to = "bot", node = "no-such-node" })))
            .ProblemAsync(HttpStatusCode.BadRequest);
        await (await agent.PostAsync($"/api/conversations/{Guid.NewGuid()}/handoff", System.Net.Http.Json.JsonContent.Create(new { to = "bot" })))
            .ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await fx.App.ClientWithKey(null).PostAsync($"/api/conversations/{id}/handoff", System.Net.Http.Json.JsonContent.Create(new { to = "bot" }))).StatusCode);

        // A person may also take the bot's conversation into a queue by hand; the context comes along.
        var taken = await agent.PostJsonAsync($"/api/conversations/{id}/handoff", new { to = "agent", queue = "general", reason = "VIP" }, HttpStatusCode.OK);
        Assert.Equal("queued", taken["status"]!.GetValue<string>());
        Assert.Equal("api", taken["handoff"]!["trigger"]!.GetValue<string>());
        Assert.Equal("VIP", taken["handoff"]!["reason"]!.GetValue<string>());
    }
}
