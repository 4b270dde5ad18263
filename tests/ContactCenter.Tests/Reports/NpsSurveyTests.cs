using System.Net;
using ContactCenter.Tests.Bot;
using ContactCenter.Tests.Infrastructure;
using ContactCenter.Tests.Routing;
using ContactCenter.Tests.Twilio;

namespace ContactCenter.Tests.Reports;

/// <summary>The bot asks the 0–10 question after a person resolved (Bot:SurveyNode = the flow's nps node).</summary>
public sealed class NpsFixture : BotFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Bot:SurveyNode"] = "nps" };
}

/// <summary>NPS end to end: asked on WhatsApp, answered 9, stored as the answer the satisfaction report reads.</summary>
public sealed class NpsSurveyTests(NpsFixture fx) : IClassFixture<NpsFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetBotAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_customer_who_answers_9_counts_as_a_promoter()
    {
        const string customer = "+14155550377";
        await fx.SaysAsync(customer, "agent");
        var id = await fx.ConversationAsync("whatsapp", customer);
        await fx.App.WaitForEventAsync(id, "conversation.queued");
        await fx.App.CreateAgentAsync(ContactCenterApp.AgentId, status: "available");
        await fx.App.WaitForAsync(id, c => c.Assignee() == ContactCenterApp.AgentId, "agent-1 has it");
        await fx.App.Agent().PostJsonAsync($"/api/conversations/{id}/resolve", new { }, HttpStatusCode.OK);

        Assert.Contains("How likely are you to recommend us", await fx.LastReplyAsync(id, 2));
        await fx.SettledAsync();
        await fx.SaysAsync(customer, "9");
        var answer = await fx.App.WaitForEventAsync(id, "csat.response");
        Assert.Equal(9, answer["data"]!["score"]!.GetValue<int>());
        Assert.Equal(10, answer["data"]!["scale"]!.GetValue<int>());
        Assert.Equal(ContactCenterApp.AgentId, answer["data"]!["handledBy"]!.GetValue<string>());
        Assert.Contains("Thank you for your feedback", await fx.LastReplyAsync(id, 3));
        await fx.SettledAsync();

        var today = DateTime.UtcNow;
        var report = await fx.App.Supervisor().GetJsonAsync(
            $"/api/reports/satisfaction?from={today.AddDays(-1):yyyy-MM-dd}&to={today:yyyy-MM-dd}&timeZone=UTC");
        var total = report["total"]!;
        Assert.Equal(1, total["surveysSent"]!.GetValue<int>());
        Assert.Equal(1, total["surveysAnswered"]!.GetValue<int>());
        Assert.Equal(1, total["npsResponses"]!.GetValue<int>());
        Assert.Equal(1, total["promoters"]!.GetValue<int>());
        Assert.Equal(0, total["detractors"]!.GetValue<int>());
        Assert.Equal(100.0, total["nps"]!.GetValue<double>());
        Assert.Equal(0, total["csatResponses"]!.GetValue<int>());
    }
}
