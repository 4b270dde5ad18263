using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ContactCenter.Channels.Email;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Timeline;
using ContactCenter.Core.Voice;

namespace ContactCenter.Tests.Accounts;

/// <summary>
/// Every API route (the app's own endpoints, each with a row in <see cref="AuthorizationMatrix.Rows"/>) × no key,
/// an agent working the queue, an agent working another queue, a supervisor and an admin.
/// </summary>
public class AuthorizationMatrixTests(ScopedAccessFixture fx) : IClassFixture<ScopedAccessFixture>, IAsyncLifetime
{
    private const string RecordingSid = "RE0123456789abcdef0123456789abcdef";
    private const string MailId = "<matrix-1@customer.test>";
    private const string Phone = "+14155550160";

    public Task InitializeAsync() => fx.ResetAndSeedAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task EveryApiRouteHasARowAndNoRowIsForARouteThatIsGone()
    {
        var routes = AuthorizationMatrix.ApiRoutes(fx.App).Select(r => $"{r.Method} {r.Pattern}").ToHashSet();
        var rows = AuthorizationMatrix.Rows.Select(r => $"{r.Method} {r.Pattern}").ToList();
        Assert.Equal(rows.Count, rows.Distinct().Count());
        var missing = routes.Except(rows).Order().ToList();
        var gone = rows.Except(routes).Order().ToList();
        Assert.True(missing.Count == 0 && gone.Count == 0,
            $"Routes without a row in AuthorizationMatrix.Rows:\n{string.Join("\n", missing)}\nRows for no route:\n{string.Join("\n", gone)}");
    }

    /// <summary>
    /// Reads go to all five callers; changes only to the callers the row says are refused (before anything is
    /// changed: no key, a role below the route's, an agent outside the conversation's queue) and, for harmless
    /// ones (presence, typing), to everyone; so the matrix changes nothing it then reads.
    /// </summary>
    [Fact]
    public async Task EveryApiRouteAnswersEachCallerAsItsRowSays()
    {
        var target = await TargetsAsync();
        // The agents are scoped (Queues, not AllConversations): the one in "support" sees the conversation, the other does not.
        Assert.Equal(HttpStatusCode.OK, (await InQueue.GetAsync($"/api/conversations/{target.Conversation}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Outside.GetAsync($"/api/conversations/{target.Conversation}")).StatusCode);

        var callers = new (string Name, int Level, HttpClient Client)[]
        {
            ("no key", 0, fx.App.ClientWithKey(null)), ("agent in queue", 1, InQueue), ("agent outside", 1, Outside),
            ("supervisor", 2, fx.App.Supervisor()), ("admin", 3, fx.App.Admin()),
        };
        var rows = AuthorizationMatrix.Rows.ToDictionary(r => (r.Method, r.Pattern));
        var routes = AuthorizationMatrix.ApiRoutes(fx.App, new Dictionary<string, string>
        {
            ["key"] = target.MailKey, ["ordinal"] = "1", ["sid"] = RecordingSid,
        });
        var hidden = new HashSet<string>
        {
            $"No conversation {target.Conversation}.", $"No customer {target.Customer}.", $"No stored mail {target.MailKey}.",
            $"No attachment 1 of mail {target.MailKey}.", $"No recording '{RecordingSid}' on any timeline.",
            $"No customer has the sms address {Phone}.",
        };
        var failures = new List<string>();
        foreach (var route in routes)
        {
            if (!rows.TryGetValue((route.Method, route.Pattern), out var row)) continue; // the other test names it
            var (url, body) = Request(route, row, target);
            foreach (var (caller, level, client) in callers)
            {
                var refusal = caller switch
                {
                    "no key" => 401,
                    _ when level < (int)row.Least => 403,
                    _ when row.HandlerRefuses?.Contains(caller) == true => 403,
                    "agent outside" when row.Scoped != Scoped.No => 404,
                    _ => (int?)null,
                };
                if (route.Method != "GET" && !row.Harmless && refusal is null) continue;
                var (status, title, detail) = await CallAsync(client, route.Method, url, body);
                var hiddenByScope = status == 404 && title == "Not found" && detail is not null && hidden.Contains(detail);
                string? wrong = refusal switch
                {
                    // 503 is a deliberate "not configured here" (Twilio for recordings and the softphone); only a crash is wrong.
                    _ when status is 500 or 502 => $"{status}: {detail}",
                    401 or 403 when status != refusal => $"{status} '{title}': {detail}, not {refusal}",
                    404 when !hiddenByScope => $"{status} '{title}': {detail}, not the 404 of an id that does not exist",
                    null when status is 401 or 403 => $"{status} '{title}': {detail}, refused",
                    null when row.Scoped != Scoped.No && hiddenByScope => "404 for a conversation in scope",
                    _ => null,
                };
                if (wrong is not null) failures.Add($"{route.Method} {route.Pattern} as {caller}: {wrong}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private HttpClient InQueue => fx.App.ClientWithKey(ContactCenterApp.AgentKey);
    private HttpClient Outside => fx.App.ClientWithKey(ContactCenterApp.Agent2Key);

    private sealed record Targets(Guid Conversation, Guid Customer, Guid MailConversation, string MailKey);

    /// <summary>An SMS conversation waiting in "support" with a call recording on it, and a mail (with an attachment) waiting there too.</summary>
    private async Task<Targets> TargetsAsync()
    {
        foreach (var queue in new[] { "support", "sales" })
            await fx.App.Admin().PutAsync($"/api/queues/{queue}", JsonContent.Create(new { priority = 0 }));
        var sms = await fx.App.ReceiveAsync(Inbound.Message(Channel.Sms, Phone, "SM" + Guid.NewGuid().ToString("N")));
        var mail = await fx.App.ReceiveAsync(Inbound.Message(Channel.Email, "matrix@customer.test", MailId));
        foreach (var id in new[] { sms.ConversationId!.Value, mail.ConversationId!.Value })
            await fx.App.Supervisor().PostJsonAsync($"/api/conversations/{id}/enqueue", new { queue = "support" }, HttpStatusCode.OK);

        // What the mail importer and the recording callback store: the rows the routes serve from.
        var raw = Encoding.ASCII.GetBytes($"From: matrix@customer.test\r\nTo: support@example.test\r\nMessage-ID: {MailId}\r\nSubject: Hi\r\n\r\nHello\r\n");
        await fx.App.Service<EmailStore>().RecordInboundAsync(MailId, mail.ConversationId.Value, "support", "Hi", [], raw,
            [new StoredAttachment(1, "note.txt", "text/plain", null, false, Encoding.ASCII.GetBytes("attached"))], DateTimeOffset.UtcNow, CancellationToken.None);
        await fx.App.Service<CallLedger>().AppendAsync(sms.ConversationId.Value,
        [
            new CallEvent(CallEventTypes.Recording, $"twilio:{RecordingSid}:call.recording", Direction.Internal,
                new JsonObject { ["callSid"] = "CA" + new string('1', 32), ["recordingSid"] = RecordingSid }, ProviderId: RecordingSid),
        ], CancellationToken.None);
        return new Targets(sms.ConversationId.Value, sms.CustomerId, mail.ConversationId.Value, EmailStore.KeyOf(MailId));
    }

    private static (string Url, object Body) Request(ApiRoute route, MatrixRow row, Targets target)
    {
        var segments = route.Url.Split('/');
        switch (row.Scoped)
        {
            case Scoped.Conversation:
                segments[3] = target.Conversation.ToString(); // /api/conversations/{id}/…
                break;
            case Scoped.Customer:
                segments[3] = target.Customer.ToString();
                break;
        }

        var url = string.Join('/', segments) + row.Scoped switch
        {
            Scoped.ConversationInQuery => $"?conversationId={target.Conversation}",
            Scoped.CustomerInQuery => $"?channel=sms&address={Uri.EscapeDataString(Phone)}",
            _ => "",
        };
        object body = row.Scoped switch
        {
            Scoped.ConversationInBody => new { sessionId = Guid.NewGuid(), conversationId = target.Conversation },
            Scoped.CustomerInBody => new { customerId = target.Customer, subject = "Hello", text = "Hello" },
            _ => new { },
        };
        return (url, body);
    }

    private static async Task<(int Status, string? Title, string? Detail)> CallAsync(HttpClient client, string method, string url, object body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is not ("GET" or "DELETE")) request.Content = JsonContent.Create(body);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return ((int)response.StatusCode, null, null);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        return ((int)response.StatusCode, problem?["title"]?.GetValue<string>(), problem?["detail"]?.GetValue<string>());
    }
}
