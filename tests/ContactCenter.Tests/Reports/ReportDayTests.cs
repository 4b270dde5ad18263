using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ContactCenter.Tests.Infrastructure;
using static ContactCenter.Tests.Reports.ReportDay;

namespace ContactCenter.Tests.Reports;

/// <summary>
/// A hand-built day whose every metric is worked out by hand below; the API (JSON and CSV) must give exactly those.
/// The day, Monday 2 March 2026 (UTC), queue 'support' open 09:00–17:00 UTC:
/// K1 sms (agent-1): in 09:00, assigned 09:01, out 09:03, in 09:10, out 09:12, resolved 09:30; survey 09:30 → CSAT 2, NPS 9.
/// K2 whatsapp (agent-2): in 10:00, assigned 10:02, out 10:10 (first response breached at 10:05), resolved 11:00;
///    survey 11:00 → CSAT 5 and NPS 8, given through a new conversation K2s at 11:05 (a survey answer, not a contact);
///    the customer comes back on sms on 4 March (K2b): not resolved on first contact.
/// K3 voice (agent-1): started 12:00, queued 12:00:10, assigned 12:00:35, connected 12:00:40 (breached at 12:00:30),
///    ended 12:05:40, resolved 12:07:40: talk 300 s, wrap-up 120 s.
/// K4 voice: queued 13:00, hung up 13:01 (abandoned after 60 s; breached at 13:00:20).
/// K5 voice: queued 14:00, hung up 14:00:03 (a short abandon, under Reports:ShortAbandon 5 s).
/// K6 telegram: the bot alone, 15:00–15:05 (two messages in, two bot replies): contained.
/// K7 messenger (agent-2): bot 16:00, handed off, assigned 16:05, out 16:10, resolved 16:30; survey 16:30, no answer.
/// K8 sms: in 16:55, answered 09:05 the next day (breached at 17:00): 16 h 10 min on the wall, 10 min of open time.
/// K9 webchat: in 03:00 UTC (22:00 the day before in New York), never answered.
/// </summary>
public sealed class ReportDayTests(AppFixture fx) : IClassFixture<AppFixture>, IAsyncLifetime
{
    private const string Range = "from=2026-03-02&to=2026-03-02";

    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        await BuildDayAsync(new ReportDay(fx.Db));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task BuildDayAsync(ReportDay d)
    {
        await CreateQueueAsync(fx.App);
        var five = TimeSpan.FromMinutes(5);
        var day = TimeSpan.FromHours(24);

        var k1 = await d.ConversationAsync("sms", "support", "agent-1", At("09:00:00"), At("09:30:00"));
        var k1In = await d.EventAsync(k1, "message.received", At("09:00:00"));
        await d.EventAsync(k1, "conversation.assigned", At("09:01:00"), new JsonObject { ["agentId"] = "agent-1" });
        await d.EventAsync(k1, "message.sent", At("09:03:00"));
        var k1Next = await d.EventAsync(k1, "message.received", At("09:10:00"));
        await d.EventAsync(k1, "message.sent", At("09:12:00"));
        await d.ClockAsync(k1, "first_response", k1In, At("09:00:00"), five, At("09:05:00"), At("09:03:00"), "answered", null);
        await d.ClockAsync(k1, "next_response", k1Next, At("09:10:00"), five, At("09:15:00"), At("09:12:00"), "answered", null);
        await d.ClockAsync(k1, "resolution", k1In, At("09:00:00"), day, At("09:00:00", 1), At("09:30:00"), "resolved", null);
        await d.BotAsync(k1, At("09:00:00"), handoffs: 1, contained: null, surveySent: At("09:30:00"));
        await d.SurveyAnswerAsync(k1, At("09:35:00"), 2, 5);
        await d.SurveyAnswerAsync(k1, At("09:40:00"), 9, 10);

        var k2 = await d.ConversationAsync("whatsapp", "support", "agent-2", At("10:00:00"), At("11:00:00"));
        var customer2 = await d.CustomerOfAsync(k2);
        var k2In = await d.EventAsync(k2, "message.received", At("10:00:00"));
        await d.EventAsync(k2, "conversation.assigned", At("10:02:00"), new JsonObject { ["agentId"] = "agent-2" });
        await d.EventAsync(k2, "message.sent", At("10:10:00"));
        await d.ClockAsync(k2, "first_response", k2In, At("10:00:00"), five, At("10:05:00"), At("10:10:00"), "answered", At("10:05:00"));
        await d.ClockAsync(k2, "resolution", k2In, At("10:00:00"), day, At("10:00:00", 1), At("11:00:00"), "resolved", null);
        await d.BotAsync(k2, At("10:00:00"), handoffs: 1, contained: null, surveySent: At("11:00:00"));
        var k2s = await d.ConversationAsync("whatsapp", null, null, At("11:05:00"), At("11:05:00"), customer2);
        var answer = await d.EventAsync(k2s, "message.received", At("11:05:00"));
        await d.SurveyAnswerAsync(k2, At("11:05:00"), 5, 5, dedupe: $"csat:bot:{answer}");
        await d.SurveyAnswerAsync(k2, At("11:06:00"), 8, 10);
        var k2b = await d.ConversationAsync("sms", "support", null, At("10:00:00", 2), null, customer2);
        await d.EventAsync(k2b, "message.received", At("10:00:00", 2));

        var k3 = await d.ConversationAsync("voice", "support", "agent-1", At("12:00:00"), At("12:07:40"));
        await d.CallAsync(k3, At("12:00:00"));
        var k3Queued = await d.EventAsync(k3, "call.queued", At("12:00:10"));
        await d.EventAsync(k3, "conversation.assigned", At("12:00:35"), new JsonObject { ["agentId"] = "agent-1" });
        await d.EventAsync(k3, "call.connected", At("12:00:40"));
        await d.EventAsync(k3, "call.ended", At("12:05:40"), new JsonObject { ["outcome"] = "connected" });
        var twenty = TimeSpan.FromSeconds(20);
        await d.ClockAsync(k3, "first_response", k3Queued, At("12:00:10"), twenty, At("12:00:30"), At("12:00:40"), "answered", At("12:00:30"));
        await d.ClockAsync(k3, "resolution", k3Queued, At("12:00:00"), TimeSpan.FromHours(1), At("13:00:00"), At("12:07:40"), "resolved", null);

        var k4 = await d.ConversationAsync("voice", "support", null, At("13:00:00"), At("13:01:00"));
        await d.CallAsync(k4, At("13:00:00"));
        var k4Queued = await d.EventAsync(k4, "call.queued", At("13:00:00"));
        await d.EventAsync(k4, "call.ended", At("13:01:00"), new JsonObject { ["outcome"] = "abandoned" });
        await d.ClockAsync(k4, "first_response", k4Queued, At("13:00:00"), twenty, At("13:00:20"), At("13:01:00"), "closed", At("13:00:20"));

        var k5 = await d.ConversationAsync("voice", "support", null, At("14:00:00"), At("14:00:03"));
        await d.CallAsync(k5, At("14:00:00"));
        var k5Queued = await d.EventAsync(k5, "call.queued", At("14:00:00"));
        await d.EventAsync(k5, "call.ended", At("14:00:03"), new JsonObject { ["outcome"] = "abandoned" });
        await d.ClockAsync(k5, "first_response", k5Queued, At("14:00:00"), twenty, At("14:00:20"), At("14:00:03"), "closed", null);

        var k6 = await d.ConversationAsync("telegram", null, null, At("15:00:00"), At("15:05:00"));
        await d.EventAsync(k6, "message.received", At("15:00:00"));
        await d.EventAsync(k6, "bot.reply", At("15:00:00"));
        await d.EventAsync(k6, "message.received", At("15:02:00"));
        await d.EventAsync(k6, "bot.reply", At("15:02:00"));
        await d.BotAsync(k6, At("15:00:00"), handoffs: 0, contained: At("15:05:00"), surveySent: null);

        var k7 = await d.ConversationAsync("messenger", "support", "agent-2", At("16:00:00"), At("16:30:00"));
        var k7In = await d.EventAsync(k7, "message.received", At("16:00:00"));
        await d.EventAsync(k7, "bot.reply", At("16:00:00"));
        await d.EventAsync(k7, "conversation.assigned", At("16:05:00"), new JsonObject { ["agentId"] = "agent-2" });
        await d.EventAsync(k7, "message.sent", At("16:10:00"));
        await d.ClockAsync(k7, "first_response", k7In, At("16:00:00"), TimeSpan.FromHours(1), At("17:00:00"), At("16:10:00"), "answered", null);
        await d.BotAsync(k7, At("16:00:00"), handoffs: 1, contained: null, surveySent: At("16:30:00"));

        var k8 = await d.ConversationAsync("sms", "support", "agent-1", At("16:55:00"), null);
        var k8In = await d.EventAsync(k8, "message.received", At("16:55:00"));
        await d.EventAsync(k8, "message.sent", At("09:05:00", 1));
        await d.ClockAsync(k8, "first_response", k8In, At("16:55:00"), five, At("17:00:00"), At("09:05:00", 1), "answered", At("17:00:00"));

        var k9 = await d.ConversationAsync("webchat", null, null, At("03:00:00"), null);
        await d.EventAsync(k9, "message.received", At("03:00:00"));
    }

    private async Task<JsonNode> TotalAsync(string report, string query = "")
    {
        var body = await fx.App.Supervisor().GetJsonAsync($"/api/reports/{report}?{Range}{query}");
        return body["total"]!;
    }

    private static void AssertValues(JsonNode row, params (string Column, double? Value)[] expected)
    {
        foreach (var (column, value) in expected)
            Assert.True(value is null ? row[column] is null : row[column]?.GetValue<double>() == value,
                $"{column}: expected {value?.ToString() ?? "null"}, got {row[column]?.ToJsonString() ?? "null"}");
    }

    [Fact]
    public async Task Volume_counts_conversations_messages_and_calls_of_the_day()
    {
        // Conversations K1–K9 (K2s is a survey answer, K2b is on 4 March); messages in: K1 2, K2 1, K2s 1, K6 2, K7 1,
        // K8 1, K9 1; out: K1 2, K2 1, K7 1 (K8's answer is on 3 March); bot: K6 2, K7 1; calls K3, K4, K5.
        var body = await fx.App.Supervisor().GetJsonAsync($"/api/reports/volume?{Range}");
        var row = Assert.Single(body["rows"]!.AsArray())!;
        Assert.Equal("2026-03-02", row["period"]!.GetValue<string>());
        AssertValues(row, ("conversations", 9), ("messagesIn", 9), ("messagesOut", 4), ("botMessages", 3),
            ("callsInbound", 3), ("callsOutbound", 0), ("callbacks", 0), ("voicemails", 0));
        AssertValues(body["total"]!, ("conversations", 9), ("messagesIn", 9));

        // In New York (UTC−5) the day runs 05:00–05:00 UTC: K9 (03:00 UTC) was the evening before.
        var newYork = await TotalAsync("volume", "&timeZone=America/New_York");
        AssertValues(newYork, ("conversations", 8), ("messagesIn", 8), ("messagesOut", 4), ("callsInbound", 3));
        // Filters: one channel; one agent's conversations (K1, K3, K8).
        AssertValues(await TotalAsync("volume", "&channel=voice"), ("conversations", 3), ("messagesIn", 0), ("callsInbound", 3));
        AssertValues(await TotalAsync("volume", "&agent=agent-1"), ("conversations", 3), ("messagesIn", 3), ("messagesOut", 2), ("callsInbound", 1));
        // No conversation carries the tag.
        AssertValues(await TotalAsync("volume", "&tag=vip"), ("conversations", 0), ("messagesIn", 0));
    }

    [Fact]
    public async Task Hourly_volume_has_a_row_for_every_hour()
    {
        var rows = (await fx.App.Supervisor().GetJsonAsync($"/api/reports/volume?{Range}&by=hour"))["rows"]!.AsArray();
        Assert.Equal(24, rows.Count);
        Assert.Equal("2026-03-02T16:00", rows[16]!["period"]!.GetValue<string>());
        AssertValues(rows[16]!, ("conversations", 2), ("messagesIn", 2), ("messagesOut", 1), ("botMessages", 1)); // K7, K8
        AssertValues(rows[3]!, ("conversations", 1)); // K9
        AssertValues(rows[11]!, ("conversations", 0), ("messagesIn", 1)); // K2s's answer counts as a message, not a conversation
    }

    [Fact]
    public async Task Response_times_per_clock_kind_in_wall_time_and_in_open_time()
    {
        // First responses answered: K3 30, K1 180, K2 600, K7 600, K8 58200 s. Median 600; p90 at rank 0.9·4 = 3.6:
        // 600 + 0.6·(58200 − 600) = 35160. Within target: K1, K7 of the decided K1, K2, K3, K4 (breached), K7, K8
        // (K5 ended before its target: undecided) = 2/6. Breaches: K2, K3, K4, K8.
        var wall = await TotalAsync("response-times");
        AssertValues(wall, ("firstResponseCount", 5), ("firstResponseMedian", 600), ("firstResponseP90", 35160),
            ("firstResponseServiceLevel", 0.3333), ("firstResponseBreaches", 4),
            ("nextResponseCount", 1), ("nextResponseMedian", 120), ("nextResponseP90", 120), ("nextResponseServiceLevel", 1), ("nextResponseBreaches", 0),
            // Resolutions: K3 460, K1 1800, K2 3600 s; p90 at rank 1.8: 1800 + 0.8·1800 = 3240.
            ("resolutionCount", 3), ("resolutionMedian", 1800), ("resolutionP90", 3240), ("resolutionServiceLevel", 1), ("resolutionBreaches", 0));

        // In the queue's open hours K8 waited 16:55–17:00 and 09:00–09:05: 600 s. Times 30, 180, 600, 600, 600.
        // The service level is the clocks' own verdict (their due times already pause outside hours): unchanged.
        var open = await TotalAsync("response-times", "&businessHours=true");
        AssertValues(open, ("firstResponseCount", 5), ("firstResponseMedian", 600), ("firstResponseP90", 600),
            ("firstResponseServiceLevel", 0.3333), ("firstResponseBreaches", 4), ("resolutionMedian", 1800));

        AssertValues(await TotalAsync("response-times", "&channel=voice"),
            ("firstResponseCount", 1), ("firstResponseMedian", 30), ("firstResponseServiceLevel", 0), ("firstResponseBreaches", 2));
    }

    [Fact]
    public async Task Handle_times_first_contact_resolution_satisfaction_bot_and_abandonment()
    {
        // Calls: K3 talk 300, wrap-up 120. Chats: K1 09:01→09:30 1740, K2 10:02→11:00 3480, K7 16:05→16:30 1500: 6720/3 = 2240.
        AssertValues(await TotalAsync("handle-times"), ("callsHandled", 1), ("averageTalkSeconds", 300), ("averageWrapUpSeconds", 120),
            ("averageCallHandleSeconds", 420), ("chatsHandled", 3), ("averageChatHandleSeconds", 2240));
        AssertValues(await TotalAsync("handle-times", "&agent=agent-1"), ("callsHandled", 1), ("chatsHandled", 1), ("averageChatHandleSeconds", 1740));

        // Resolved: K1, K2, K3, K6, K7 (K4, K5 abandoned; K2s a survey answer). K2's customer came back on 4 March.
        AssertValues(await TotalAsync("resolution"), ("resolved", 5), ("firstContactResolved", 4), ("firstContactResolution", 0.8), ("repeatContacts", 1));

        // Surveys K1, K2, K7; answered K1, K2. CSAT answers 2 and 5: one of two satisfied. NPS 9 (promoter), 8 (passive): +50.
        AssertValues(await TotalAsync("satisfaction"), ("surveysSent", 3), ("surveysAnswered", 2), ("responseRate", 0.6667),
            ("csatResponses", 2), ("csatSatisfied", 1), ("csat", 0.5), ("npsResponses", 2), ("promoters", 1), ("detractors", 0), ("nps", 50));

        // The bot started K1, K2, K6, K7; K6 it finished alone; K1, K2, K7 went to a person.
        AssertValues(await TotalAsync("bot"), ("botConversations", 4), ("contained", 1), ("containment", 0.25), ("escalated", 3), ("escalationRate", 0.75));

        // Queued calls K3 (answered), K4 (gone after 60 s), K5 (gone after 3 s: short). Rate 1 / (3 − 1).
        AssertValues(await TotalAsync("abandonment"), ("queuedCalls", 3), ("answered", 1), ("abandoned", 1), ("shortAbandons", 1),
            ("abandonmentRate", 0.5), ("averageAbandonWaitSeconds", 60));
    }

    [Fact]
    public async Task The_csv_carries_exactly_the_same_values()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/reports/abandonment?{Range}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await fx.App.Supervisor().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.Equal(
            "period,queuedCalls,answered,abandoned,shortAbandons,abandonmentRate,averageAbandonWaitSeconds\r\n" +
            "2026-03-02,3,1,1,1,0.5,60\r\n" +
            "total,3,1,1,1,0.5,60\r\n", csv);

        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/reports/response-times?{Range}&businessHours=true");
        csvRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var lines = (await (await fx.App.Supervisor().SendAsync(csvRequest)).Content.ReadAsStringAsync()).Split("\r\n");
        Assert.StartsWith("period,firstResponseCount,firstResponseMedian,firstResponseP90,firstResponseServiceLevel,firstResponseBreaches,", lines[0]);
        Assert.StartsWith("2026-03-02,5,600,600,0.3333,4,1,120,120,1,0,3,1800,3240,1,0", lines[1]);
    }

    [Fact]
    public async Task Agents_may_not_read_reports_and_bad_ranges_are_refused()
    {
        using var asAgent = await fx.App.Agent().GetAsync($"/api/reports/volume?{Range}");
        await asAgent.ProblemAsync(HttpStatusCode.Forbidden);
        foreach (var bad in new[]
                 {
                     "volume?from=2026-03-02&to=2026-03-01", "volume?from=2025-01-01&to=2026-03-01", "volume?from=2026-03-02&to=2026-03-02&timeZone=Mars/Olympus",
                     "volume?from=2026-03-02", "volume?from=yesterday&to=2026-03-02", "nothing?from=2026-03-02&to=2026-03-02",
                     "volume?from=2026-03-02&to=2026-03-02&by=week", "volume?from=2026-03-02&to=2026-03-02&channel=fax",
                 })
        {
            using var response = await fx.App.Supervisor().GetAsync($"/api/reports/{bad}");
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.NotEmpty(problem["errors"]!.AsArray());
        }
    }
}
