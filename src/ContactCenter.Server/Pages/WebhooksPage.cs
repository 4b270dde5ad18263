using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using ContactCenter.Core.Webhooks;
using ContactCenter.Server.Auth;

namespace ContactCenter.Server.Pages;

/// <summary>
/// <c>/admin/webhooks</c>: every subscription with its state and its latest deliveries, rendered on the server
/// (every value HTML-encoded); <c>/assets/webhooks.js</c> wires the replay and enable buttons to the API.
/// </summary>
public static class WebhooksPage
{
    private const int DeliveriesShown = 50;

    public static IEndpointRouteBuilder MapWebhooksPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/webhooks", async (WebhookSubscriptions subscriptions, WebhookDeliveries deliveries, CancellationToken ct) =>
            {
                var html = new StringBuilder(Head);
                var all = await subscriptions.ListAsync(ct);
                if (all.Count == 0) html.Append("<p class=\"muted\" id=\"none\">No subscriptions yet: POST /api/webhooks/subscriptions.</p>");
                foreach (var s in all) Append(html, s, await deliveries.ListAsync(s.Id, null, DeliveriesShown, ct));
                html.Append("""<script src="/assets/common.js"></script><script src="/assets/webhooks.js"></script></body></html>""");
                return Results.Content(html.ToString(), "text/html; charset=utf-8");
            })
            .RequireAuthorization(Policies.Admin).ExcludeFromDescription();
        return app;
    }

    private static void Append(StringBuilder html, WebhookSubscription s, IReadOnlyList<WebhookDelivery> deliveries)
    {
        var state = s.DisabledAt is { } at
            ? $"<span class=\"late state\">disabled {E(Time(at))}: {E(s.DisabledReason)}</span> <button type=\"button\" class=\"enable\" data-subscription=\"{s.Id}\">Enable again</button>"
            : s.FailingSince is { } since ? $"<span class=\"warn state\">failing since {E(Time(since))}</span>"
            : "<span class=\"ok state\">active</span>";
        html.Append(CultureInfo.InvariantCulture, $"""
            <section class="subscription" data-subscription="{s.Id}"><h2>{E(s.Url)}</h2>
            <p>{state} · events: {E(string.Join(", ", s.Events))}{(s.Queues is { } q ? " · queues: " + E(string.Join(", ", q)) : "")}{(s.Channels is { } c ? " · channels: " + E(string.Join(", ", c)) : "")}</p>
            <table><thead><tr><th>webhook-id</th><th>Event</th><th>Status</th><th>Attempts</th><th>Last answer</th><th>Duration</th><th>Created</th><th></th></tr></thead><tbody>
            """);
        foreach (var d in deliveries)
        {
            var answer = d.LastStatusCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : d.LastError ?? "–";
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr data-delivery="{d.Id}"><td>{E(d.WebhookId)}</td><td>{E(d.EventType)}</td><td class="status {StatusClass(d.Status)}">{E(d.Status)}</td>
                <td>{d.Attempts}</td><td title="{E(d.LastError)}">{E(answer)}</td><td>{(d.LastDurationMs is { } ms ? ms + " ms" : "–")}</td>
                <td>{E(Time(d.CreatedAt))}</td><td><button type="button" class="replay" data-delivery="{d.Id}"{(s.DisabledAt is null ? "" : " disabled")}>Replay</button></td></tr>
                """);
        }

        html.Append("</tbody></table></section>");
    }

    private static string StatusClass(string status) => status switch
    {
        WebhookDeliveryStatus.Delivered => "ok",
        WebhookDeliveryStatus.Failed => "late",
        _ => "warn",
    };

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    private const string Head = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: event webhooks</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/assets/site.css"></head><body>
        <header class="bar"><h1>Event webhooks</h1><span id="state" class="muted" role="status"></span></header><main>
        """;
}
