using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ContactCenter.Tests.Twilio;
using Xunit.Abstractions;

namespace ContactCenter.Tests.Hardening;

/// <summary>
/// The property: no request, however malformed, gets a 5xx, and the service stays ready. A seeded generator
/// builds <c>HARDENING_REQUESTS</c> (default 1500) requests spread over every route the app maps; a failure names
/// the seed and the request number. Replay: <c>HARDENING_SEED=&lt;seed&gt;</c> (and <c>HARDENING_ONLY=&lt;n&gt;</c> for one request).
/// </summary>
public class MalformedInputPropertyTests(HardeningFixture fx, ITestOutputHelper output) : IClassFixture<HardeningFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fx.ResetAsync();
        fx.Twilio.Reset();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [Fact]
    public async Task NoMalformedRequestGetsA5xxAndTheServiceStaysReady()
    {
        var seed = Setting("HARDENING_SEED", Random.Shared.Next());
        var count = Setting("HARDENING_REQUESTS", 1500);
        var only = Setting("HARDENING_ONLY", -1);
        output.WriteLine($"HARDENING_SEED={seed} HARDENING_REQUESTS={count}");

        // Something to aim at: a customer with an SMS conversation, so ids in routes and bodies sometimes exist.
        await fx.ReceiveAsync(TwilioRequests.Sms("seed conversation"));
        var conversation = await fx.ConversationAsync("sms");
        var customer = (await fx.App.Admin().GetJsonAsync($"/api/conversations/{conversation}"))["customerId"]!.GetValue<string>();
        string[] knownIds = [conversation.ToString(), customer];

        var routes = MalformedRequests.Routes(fx.App.Services.GetServices<EndpointDataSource>());
        Assert.Contains(routes, r => r.Template == "/webhooks/telegram");
        Assert.Contains(routes, r => r.Template.StartsWith("/api/conversations/", StringComparison.Ordinal));
        output.WriteLine($"{routes.Count} routes: {string.Join(", ", routes)}");

        var client = fx.App.ClientWithKey(null);
        var failures = new List<string>();
        for (var i = 0; i < count; i++)
        {
            if (only >= 0 && i != only) continue;
            // Each request has its own seed, so one can be replayed without the ones before it.
            var random = new Random(HashCode.Combine(seed, i));
            var route = routes[random.Next(routes.Count)];
            using var request = new MalformedRequests(random, fx.SigningBase, knownIds).Build(route);
            var what = $"request {i} (HARDENING_SEED={seed} HARDENING_ONLY={i}): {request.Method} {request.RequestUri}";
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if ((int)response.StatusCode >= 500)
                {
                    var body = await response.Content.ReadAsStringAsync(timeout.Token);
                    failures.Add($"{what} -> {(int)response.StatusCode} {body[..Math.Min(300, body.Length)]}");
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                failures.Add($"{what} -> no answer within 30 s");
            }

            if (i % 250 == 249 || i == count - 1)
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
            if (failures.Count >= 20) break;
        }

        Assert.True(failures.Count == 0, $"{failures.Count} requests got a 5xx or no answer:\n{string.Join("\n", failures)}");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }
}
