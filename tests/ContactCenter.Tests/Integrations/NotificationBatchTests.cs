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
    public async Task CancelStopsWhatHasNotGoneOut()
    {
        var id = await fx.SendAsync(Batch(200, offset: 1000));
        await fx.WaitAsync(id, _ => fx.Twilio.Calls.Count >= 10, "the first sends reached Twilio");
        var cancel = await fx.Integration().PostAsync($"/api/notifications/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        var done = await fx.WaitAsync(id, n => n.Status() == "cancelled", "the batch is cancelled", TimeSpan.FromSeconds(30));
        var progress = done["progress"]!;
        Assert.Equal(0, progress["pending"]!.GetValue<int>() + progress["sending"]!.GetValue<int>());
        // Messages handed to the outbox before the cancel still go out; after that, nothing new is created.
        long created = 0;
        await TestSupport.EventuallyAsync(async () =>
        {
            await using var connection = await fx.Db.OpenConnectionAsync();
            var open = (long)(await connection.Sql("select count(*) from outbound_messages where status in ('pending', 'dispatching')").ExecuteScalarAsync())!;
            created = (long)(await connection.Sql("select count(*) from outbound_messages").ExecuteScalarAsync())!;
            return open == 0 && fx.Twilio.Calls.Count == created;
        }, "what reached the outbox before the cancel is dispatched");
        var sent = fx.Twilio.Calls.Count;
        Assert.InRange(sent, 10, 150);
        Assert.Equal(200, progress["cancelled"]!.GetValue<int>());
        // Nothing more goes out after the cancel settled.
        var again = await fx.GetAsync(id);
        Assert.Equal(sent, fx.Twilio.Calls.Count);
        Assert.Equal("cancelled", again.Status());
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
