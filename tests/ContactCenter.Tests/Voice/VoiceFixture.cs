using System.Collections.Concurrent;
using ContactCenter.Core.Flows;
using ContactCenter.Tests.Flows;
using ContactCenter.Tests.Twilio;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace ContactCenter.Tests.Voice;

/// <summary>
/// The service with Twilio voice against the fake API (the Calls resource added to the Twilio fake), routing
/// queueing on (as in the routing tests), quick callback retries, hold music, and the IVR's clock fixed on a
/// Monday morning in New York so business hours do not depend on when the tests run.
/// </summary>
public class VoiceFixture : TwilioFixture
{
    public const string HoldMusic = "https://cdn.example.test/hold/cool-jazz.mp3";
    public const string CallsPrefix = $"/2010-04-01/Accounts/{TwilioFake.AccountSid}/Calls";

    private int _sids;

    public SettableClock FlowClock { get; } = new(FlowTestSupport.OpenMonday);

    /// <summary>Every request to the Calls resource (create and redirect).</summary>
    public ConcurrentQueue<TwilioCall> CallRequests { get; } = new();

    /// <summary>Scripted answers for Calls requests, in order; afterwards Twilio accepts.</summary>
    public ConcurrentQueue<Func<IRequestMessage, ResponseMessage>> CallScript { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Routing:AutoQueue"] = "true",
        ["Routing:SweepInterval"] = "00:00:01",
        ["Twilio:Voice:HoldMusicUrl"] = HoldMusic,
        ["Twilio:Voice:CallbackMaxAttempts"] = "3",
        ["Twilio:Voice:CallbackRetryBaseDelay"] = "00:00:00.100",
    };

    protected override void ConfigureServices(IServiceCollection services)
    {
        // Only the flows run on the fixed clock; routing, Hangfire and the workers keep real time.
        services.RemoveAll<FlowDriver>();
        services.AddSingleton(sp => new FlowDriver(sp.GetServices<IFlowActionResolver>(), FlowClock));
    }

    public override async Task InitializeAsync()
    {
        Twilio.Server.Given(Request.Create().WithPath(new WildcardMatcher(CallsPrefix + "*")).UsingPost())
            .RespondWith(Response.Create().WithCallback(AnswerCalls));
        // The Calls list, which a retried callback checks before calling the customer again.
        Twilio.Server.Given(Request.Create().WithPath(CallsPrefix + ".json").UsingGet())
            .RespondWith(Response.Create().WithCallback(_ => TwilioFake.Json(200, new { calls = PlacedCalls.Reverse().ToList() })));
        await base.InitializeAsync();
    }

    public async Task ResetCallAsync()
    {
        await ResetAsync();
        FlowClock.SetUtcNow(FlowTestSupport.OpenMonday);
        CallRequests.Clear();
        CallScript.Clear();
        PlacedCalls.Clear();
        Twilio.Reset();
    }

    /// <summary>Calls the fake placed, oldest first.</summary>
    public ConcurrentQueue<Dictionary<string, object?>> PlacedCalls { get; } = new();

    private ResponseMessage AnswerCalls(IRequestMessage request)
    {
        var authorization = request.Headers?.TryGetValue("Authorization", out var values) == true ? values.ToString() : null;
        CallRequests.Enqueue(new TwilioCall(request.Path, authorization, QueryHelpers.ParseQuery(request.Body ?? "")));
        if (authorization != TwilioFake.ExpectedAuthorization)
            return TwilioFake.Json(401, new { code = 20003, message = "Authenticate", status = 401 });
        if (CallScript.TryDequeue(out var step)) return step(request);
        var created = request.Path.EndsWith("/Calls.json", StringComparison.Ordinal);
        var sid = created ? $"CA{Interlocked.Increment(ref _sids):x32}" : request.Path[(request.Path.LastIndexOf('/') + 1)..^".json".Length];
        if (created)
        {
            var form = QueryHelpers.ParseQuery(request.Body ?? "");
            PlacedCalls.Enqueue(new Dictionary<string, object?>
            {
                ["sid"] = sid, ["to"] = form.GetValueOrDefault("To").ToString(), ["from"] = form.GetValueOrDefault("From").ToString(),
                ["status"] = "queued", ["direction"] = "outbound-api",
                ["date_created"] = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        return TwilioFake.Json(created ? 201 : 200, new { sid, status = created ? "queued" : "in-progress", account_sid = TwilioFake.AccountSid });
    }
}

/// <summary>A clock that stands where it is put (the IVR's business hours), forwards or back.</summary>
public sealed class SettableClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public void SetUtcNow(DateTimeOffset value) => _now = value;

    public override DateTimeOffset GetUtcNow() => _now;
}
