using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using ContactCenter.Tests.Twilio;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ContactCenter.Tests.Operations;

/// <summary>
/// The ContactCenter meter and ActivitySource are process-wide (static), and other test classes' hosts share the
/// process: this collection runs alone, so counter deltas are this test's own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry (alone)";
}

/// <summary>The service with the bot on SMS, Prometheus on, and the in-memory exporters for spans and metrics.</summary>
public sealed class TelemetryFixture : TwilioFixture
{
    public const string ScrapeKey = "test-prometheus-scrape-key";

    public Spans Spans { get; } = new();
    public CapturedLogs Logs { get; } = new();
    public List<MetricSnapshot> Metrics { get; } = [];

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Flows:Bots:sms"] = "messaging-bot",
        ["Metrics:Prometheus:Enabled"] = "true",
        ["Metrics:Prometheus:Key"] = ScrapeKey,
    };

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(Metrics));
        // What an operator's Information log would hold (the other fixtures keep only warnings).
        services.AddSingleton<ILoggerProvider>(Logs);
        services.Configure<LoggerFilterOptions>(o =>
        {
            o.MinLevel = LogLevel.Information;
            o.Rules.Clear();
        });
    }

    /// <summary>The sum of a counter's points whose tags include <paramref name="tags"/>, collected now.</summary>
    public long Sum(string instrument, params (string Key, string Value)[] tags)
    {
        lock (Metrics)
        {
            Metrics.Clear();
            App.Service<MeterProvider>().ForceFlush();
            var snapshot = Metrics.LastOrDefault(m => m.Name == instrument);
            if (snapshot is null) return 0;
            long sum = 0;
            foreach (var point in snapshot.MetricPoints)
            {
                var pointTags = new Dictionary<string, string?>();
                foreach (var tag in point.Tags) pointTags[tag.Key] = tag.Value?.ToString();
                if (tags.All(t => pointTags.GetValueOrDefault(t.Key) == t.Value)) sum += point.GetSumLong();
            }

            return sum;
        }
    }
}

/// <summary>Every log line at <paramref name="minimum"/> (Information unless told) and above, formatted, with its exception.</summary>
public sealed class CapturedLogs(LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
    private readonly LogLevel _minimum = minimum;

    public IReadOnlyList<string> Lines => [.. _lines];

    public void Clear() => _lines.Clear();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= logs._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) logs._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}

/// <summary>Exported spans, safe to read while the host's threads add to it.</summary>
public sealed class Spans : ICollection<Activity>
{
    private readonly List<Activity> _items = [];

    public List<Activity> InTrace(ActivityTraceId trace)
    {
        lock (_items) return _items.Where(a => a.TraceId == trace).ToList();
    }

    public List<Activity> Snapshot()
    {
        lock (_items) return [.. _items];
    }

    public void Add(Activity item)
    {
        lock (_items) _items.Add(item);
    }

    public void Clear()
    {
        lock (_items) _items.Clear();
    }

    public int Count
    {
        get { lock (_items) return _items.Count; }
    }

    public bool IsReadOnly => false;
    public bool Contains(Activity item) => Snapshot().Contains(item);
    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);
    public bool Remove(Activity item)
    {
        lock (_items) return _items.Remove(item);
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

[Collection(TelemetryCollection.Name)]
public class TelemetryTests(TelemetryFixture fx) : IClassFixture<TelemetryFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
        fx.Spans.Clear();
        fx.Logs.Clear();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task OneInboundSmsIsOneTraceFromTheWebhookToTheProviderAndTheCountersMove()
    {
        var inboundBefore = fx.Sum("contactcenter.inbound.events", ("channel", "sms"), ("type", "message.received"));
        var turnsBefore = fx.Sum("contactcenter.bot.turns", ("channel", "sms"));
        var sendsBefore = fx.Sum("contactcenter.outbound.sends", ("channel", "sms"));
        var retriesBefore = fx.Sum("contactcenter.outbound.retries", ("channel", "sms"), ("error.code", "20429"));
        var rejectedBefore = fx.Sum("contactcenter.webhook.rejections", ("provider", "twilio"), ("reason", "signature"));

        // Twilio refuses the bot's first send attempt with a rate limit; the retry goes through.
        fx.Twilio.Script.Enqueue(TwilioFake.Error(429, 20429, "Too Many Requests"));
        const string customer = "+14155550177";
        var response = await fx.PostMessageAsync(TwilioRequests.Sms("How do I reset my password?", customer));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await TestSupport.EventuallyAsync(() => Task.FromResult(fx.Twilio.Calls.Count(c => c["To"] == customer) == 2),
            "the bot's reply reached Twilio on the second attempt");

        var webhook = Assert.Single(fx.Spans.Snapshot(), a => a.Kind == ActivityKind.Server
            && a.GetTagItem("url.path") as string == "/webhooks/twilio/messaging");
        List<Activity> trace = [];
        // The last send's span ends a moment after Twilio answered it.
        await TestSupport.EventuallyAsync(() => Task.FromResult(
                (trace = fx.Spans.InTrace(webhook.TraceId)).Count(a => a.OperationName == "outbound.send") == 2),
            "both send attempts are in the webhook's trace");

        var inbox = Assert.Single(trace, a => a.OperationName == "inbox.receive");
        Assert.Equal(webhook.SpanId, inbox.ParentSpanId);
        Assert.Equal("sms", inbox.GetTagItem("contactcenter.channel"));
        var afterCommit = Assert.Single(trace, a => a.OperationName == "after-commit event"
            && a.GetTagItem("contactcenter.event.type") as string == "message.received");
        Assert.Equal(inbox.SpanId, afterCommit.ParentSpanId);
        // The bot's turn: the flow starts, and the first message is fed to it.
        var turns = trace.Where(a => a.OperationName == "flow.turn").ToList();
        Assert.NotEmpty(turns);
        Assert.All(turns, t => Assert.Equal(afterCommit.SpanId, t.ParentSpanId));
        Assert.All(turns, t => Assert.Equal("messaging-bot", t.GetTagItem("contactcenter.flow")));
        var sends = trace.Where(a => a.OperationName == "outbound.send").OrderBy(a => a.StartTimeUtc).ToList();
        Assert.All(sends, s => Assert.Equal(afterCommit.SpanId, s.ParentSpanId));
        Assert.Equal(ActivityStatusCode.Error, sends[0].Status);
        Assert.Equal("accepted", sends[1].GetTagItem("contactcenter.outcome"));
        // The provider call itself (HttpClient instrumentation) under each attempt, and the SQL (Npgsql) in the trace.
        // (Counting the creates: a retry first lists Twilio's messages to see whether the last attempt got through.)
        Assert.Equal(2, trace.Count(a => a.Kind == ActivityKind.Client && sends.Any(s => s.SpanId == a.ParentSpanId)
            && a.GetTagItem("http.request.method") as string == "POST"
            && (a.GetTagItem("url.full") as string ?? "").StartsWith(fx.Twilio.Url, StringComparison.Ordinal)));
        Assert.Contains(trace, a => a.Source.Name == "Npgsql" && a.ParentSpanId == inbox.SpanId);
        // Nothing in any span of the trace names the customer or quotes the message.
        Assert.DoesNotContain(trace.SelectMany(a => a.TagObjects), t => t.Value?.ToString() is { } v
            && (v.Contains("4155550177", StringComparison.Ordinal) || v.Contains("reset my password", StringComparison.OrdinalIgnoreCase)));

        // Nor any log line an operator keeps (Information and above), though there were some.
        Assert.Contains(fx.Logs.Lines, l => l.Contains("New customer from sms", StringComparison.Ordinal));
        Assert.DoesNotContain(fx.Logs.Lines, l => l.Contains("4155550177", StringComparison.Ordinal)
            || l.Contains("reset my password", StringComparison.OrdinalIgnoreCase) || l.Contains(TwilioFake.AuthToken, StringComparison.Ordinal));

        // A forged webhook is refused and counted by reason.
        var forged = await fx.App.CreateClient().SendAsync(TwilioRequests.Signed(fx.SigningBase, "/webhooks/twilio/messaging",
            TwilioRequests.Sms("forged", customer), token: "not-the-auth-token"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);

        Assert.Equal(inboundBefore + 1, fx.Sum("contactcenter.inbound.events", ("channel", "sms"), ("type", "message.received")));
        Assert.Equal(turnsBefore + 1, fx.Sum("contactcenter.bot.turns", ("channel", "sms")));
        Assert.Equal(sendsBefore + 1, fx.Sum("contactcenter.outbound.sends", ("channel", "sms")));
        Assert.Equal(retriesBefore + 1, fx.Sum("contactcenter.outbound.retries", ("channel", "sms"), ("error.code", "20429")));
        Assert.Equal(rejectedBefore + 1, fx.Sum("contactcenter.webhook.rejections", ("provider", "twilio"), ("reason", "signature")));
    }

    [Fact]
    public async Task MetricsAnswerInThePrometheusTextFormatForTheScrapeKeyOnly()
    {
        var anonymous = await fx.App.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var wrong = fx.App.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-scrape-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
        // An API key of any role is not the scrape key either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.App.Admin().GetAsync("/metrics")).StatusCode);

        await fx.ReceiveAsync(TwilioRequests.Sms("Hello", "+14155550178"));
        var scraper = fx.App.CreateClient();
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TelemetryFixture.ScrapeKey);
        var scrape = await scraper.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("text/plain", scrape.Content.Headers.ContentType?.MediaType);
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE contactcenter_inbound_events_total counter", text);
        Assert.Matches(@"contactcenter_inbound_events_total\{[^}]*channel=""sms""[^}]*\} [1-9]", text);
        // The backlog gauges read pending_reactions of this host's database.
        Assert.Matches(@"(?m)^contactcenter_after_commit_backlog(_ratio)?(\{[^}]*\})? \d", text);
        Assert.Matches(@"(?m)^contactcenter_after_commit_oldest_age_seconds(\{[^}]*\})? \d", text);
    }

    [Fact]
    public async Task MetricsAreNotServedUnlessEnabled()
    {
        await using var off = fx.App.WithWebHostBuilder(b => b.UseSetting("Metrics:Prometheus:Enabled", "false"));
        var client = off.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TelemetryFixture.ScrapeKey);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}
