using System.Net;
using System.Net.Http.Json;
using ContactCenter.Tests.Twilio;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Integrations;

/// <summary>Batches at a low SMS rate, so pacing and cancel can be watched.</summary>
public sealed class PacedNotificationFixture : NotificationFixture
{
    protected override IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?>
    {
        ["Notifications:RatePerSecond:sms"] = "20",
        // A send Twilio refuses for now waits 15–30 s for its retry: long enough to be cancelled while it waits.
        ["Outbox:RetryBaseDelay"] = "00:00:30",
    };
}

public class NotificationBatchTests(PacedNotificationFixture fx) : IClassFixture<PacedNotificationFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static object Batch(int count, int offset = 0) => new
    {
        recipients = Enumerable.Range(offset, count).Select(i => new { to = new { channel = "sms", address = $"+1415555{i:0000}" } }).ToArray(),
        channels = new[] { "sms" },
        content = new { sms = new { text = "Storm warning: your delivery moves to Friday." } },
    };

    [Fact]
    public async Task ABatchGoesOutWithinTheRateAndShowsProgress()
    {
        var started = DateTime.UtcNow;
        var id = await fx.SendAsync(Batch(60));
        var done = await fx.WaitAsync(id, n => n["progress"]!["sending"]!.GetValue<int>() == 60, "all 60 are sent", TimeSpan.FromSeconds(30));
        var elapsed = DateTime.UtcNow - started;
        Assert.Equal(60, done["progress"]!["total"]!.GetValue<int>());
        Assert.Equal("sending", done.Status());
        Assert.Null(done["attempts"]); // a batch shows progress, not one recipient's attempts
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Select(c => c["To"]).Distinct().Count() == 60), "Twilio has all 60");
        // 20 per second: 60 sends cannot all be accepted in much under three seconds (slots are reserved in the database).
        Assert.True(elapsed >= TimeSpan.FromSeconds(2.5), $"60 sends at 20/s took only {elapsed}");

        // Each recipient address became a customer with the notification on its timeline.
        var customer = await fx.Integration().GetJsonAsync("/api/customers?channel=sms&address=%2B14155550007");
        var steps = await fx.NotificationStepsAsync(Guid.Parse(customer["id"]!.GetValue<string>()));
        Assert.Equal(["notification.attempt sms sent"], steps);
    }

    [Fact]
    public async Task CancelStopsWhatHasNotGoneOutAndRecallsWhatWaitsInTheOutbox()
    {
        // The first five sends meet a Twilio outage (503): they wait in the outbox for their retry when the batch is cancelled.
        for (var i = 0; i < 5; i++) fx.Twilio.Script.Enqueue(TwilioFake.Error(503, 20500, "Service unavailable"));
        var id = await fx.SendAsync(Batch(200, offset: 1000));
        await fx.WaitAsync(id, _ => fx.Twilio.Messages.Count >= 10, "the first sends reached Twilio");
        var cancel = await fx.Integration().PostAsync($"/api/notifications/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        // What can still go out once the cancel has answered: only what a provider call had already started for.
        var outAtCancel = await CountAsync("select count(*) from outbound_messages where status not in ('pending', 'canceled')");

        var done = await fx.WaitAsync(id, n => n.Status() == "cancelled", "the batch is cancelled", TimeSpan.FromSeconds(30));
        var progress = done["progress"]!;
        Assert.Equal(0, progress["pending"]!.GetValue<int>() + progress["sending"]!.GetValue<int>());
        Assert.Equal(200, progress["cancelled"]!.GetValue<int>());
        await TestSupport.EventuallyAsync(async () =>
            await CountAsync("select count(*) from outbound_messages where status in ('pending', 'dispatching')") == 0, "the outbox has settled");

        // The five waiting for their retry were recalled: cancelled on the timeline, never created at Twilio.
        var recalled = await ListAsync("select to_address from outbound_messages where status = 'canceled' and error_code = 'recalled'");
        Assert.True(recalled.Count >= 5, $"only {recalled.Count} messages were recalled");
        Assert.Empty(fx.Twilio.Messages.Select(m => (string?)m["to"]).Intersect(recalled));
        Assert.Equal(recalled.Count, await CountAsync(
            "select count(*) from timeline_events where type = 'message.status' and data->>'status' = 'canceled' and data->>'errorCode' = 'recalled'"));
        // Every message is either recalled or at Twilio once, and nothing went out that had not started before the cancel answered.
        var created = await CountAsync("select count(*) from outbound_messages");
        Assert.Equal(created - recalled.Count, fx.Twilio.Messages.Count);
        Assert.Equal(fx.Twilio.Messages.Count, fx.Twilio.Messages.Select(m => (string?)m["to"]).Distinct().Count());
        Assert.True(fx.Twilio.Messages.Count <= outAtCancel, $"{fx.Twilio.Messages.Count} sent, but only {outAtCancel} had started when the cancel answered");
        Assert.InRange(fx.Twilio.Messages.Count, 10, 150);
        Assert.Equal("cancelled", (await fx.GetAsync(id)).Status());
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        return (long)(await connection.Sql(sql).ExecuteScalarAsync())!;
    }

    private async Task<List<string>> ListAsync(string sql)
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        await using var reader = await connection.Sql(sql).ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync()) list.Add(reader.GetString(0));
        return list;
    }
}

public class NotificationRequestTests(NotificationFixture fx) : IClassFixture<NotificationFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => fx.ResetAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> FieldAsync(object request)
    {
        var response = await fx.Integration().PostAsJsonAsync("/api/notifications", request, TestSupport.Json);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        return problem["field"]!.GetValue<string>();
    }

    [Fact]
    public async Task BadInputIs400NamingTheField()
    {
        var customerId = Guid.NewGuid();
        var to = new { channel = "sms", address = "+14155550100" };
        Assert.Equal("channels[1]", await FieldAsync(new { to, channels = new[] { "sms", "pigeon" }, content = new { sms = new { text = "x" } } }));
        Assert.Equal("channels", await FieldAsync(new { to, channels = Array.Empty<string>(), content = new { } }));
        Assert.Equal("content.whatsapp", await FieldAsync(new { to, channels = new[] { "sms", "whatsapp" }, content = new { sms = new { text = "x" } } }));
        Assert.Equal("content.sms.text", await FieldAsync(new { to, channels = new[] { "sms" }, content = new { sms = new { } } }));
        Assert.Equal("content.email.subject", await FieldAsync(new { to, channels = new[] { "email" }, content = new { email = new { text = "x" } } }));
        // A 2 MB body: read in full (the host refuses more than 1 MB on its own socket), refused naming the field.
        var huge = new string('x', 2 * 1024 * 1024);
        Assert.Equal("content.email.text", await FieldAsync(new { to, channels = new[] { "email" }, content = new { email = new { subject = "s", text = huge } } }));
        Assert.Equal("to.address", await FieldAsync(new { to = new { channel = "sms", address = "not a number" }, channels = new[] { "sms" }, content = new { sms = new { text = "x" } } }));
        Assert.Equal("customerId", await FieldAsync(new { customerId, to, channels = new[] { "sms" }, content = new { sms = new { text = "x" } } }));
        Assert.Equal("customerId", await FieldAsync(new { customerId, channels = new[] { "sms" }, content = new { sms = new { text = "x" } } }));
        Assert.Equal("fallbackAfter", await FieldAsync(new { to, channels = new[] { "sms" }, content = new { sms = new { text = "x" } }, fallbackAfter = "soon" }));
        Assert.Equal("timeZone", await FieldAsync(new { to, timeZone = "Mars/Olympus", channels = new[] { "sms" }, content = new { sms = new { text = "x" } } }));
        Assert.Equal("recipients", await FieldAsync(new
        {
            recipients = Enumerable.Range(0, 10_001).Select(_ => new { customerId }).ToArray(),
            channels = new[] { "sms" }, content = new { sms = new { text = "x" } },
        }));
        // Nothing was stored by any of them.
        await using var connection = await fx.Db.OpenConnectionAsync();
        Assert.Equal(0L, await new Npgsql.NpgsqlCommand("select count(*) from notifications", connection).ExecuteScalarAsync());
    }

    [Fact]
    public async Task TheIntegrationRoleMaySendNotificationsAndReadCustomersOnly()
    {
        await fx.ReceiveAsync(TwilioRequests.Sms("hi"));
        var integration = fx.Integration();
        var customer = await integration.GetJsonAsync($"/api/customers?channel=sms&address={Uri.EscapeDataString(TwilioRequests.Customer)}");
        var id = customer["id"]!.GetValue<string>();
        await integration.GetJsonAsync($"/api/customers/{id}/timeline");
        await (await integration.GetAsync("/api/conversations")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await integration.GetAsync("/api/webhooks/subscriptions")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await integration.PostAsJsonAsync($"/api/customers/{id}/merge", new { otherCustomerId = Guid.NewGuid() })).ProblemAsync(HttpStatusCode.Forbidden);
        // Agents may not notify; supervisors may.
        var request = new { customerId = id, channels = new[] { "sms" }, content = new { sms = new { text = "x" } } };
        await (await fx.App.Agent().PostAsJsonAsync("/api/notifications", request)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Accepted, (await fx.App.Supervisor().PostAsJsonAsync("/api/notifications", request)).StatusCode);
    }
}
