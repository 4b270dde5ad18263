using System.Globalization;
using System.Text;
using ContactCenter.Core.Accounts;
using ContactCenter.Server.Auth;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

/// <summary><c>GET /api/audit</c>: who did what, newest first, as JSON or CSV (admins).</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", ListAsync).WithTags("Audit").RequireAuthorization(Policies.Admin)
            .WithSummary("The audit trail: from, to (ISO 8601), actor (id or name), action (or a prefix such as 'user.'); CSV with Accept: text/csv");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<AuditEntry>>, FileContentHttpResult, ProblemHttpResult>> ListAsync(
        string? from, string? to, string? actor, string? action, int? limit, HttpContext http, AuditLog log, CancellationToken ct)
    {
        if (!TryInstant(from, out var start)) return Problems.BadRequest("Query 'from' must be an ISO 8601 instant such as 2026-03-01T00:00:00Z.");
        if (!TryInstant(to, out var end)) return Problems.BadRequest("Query 'to' must be an ISO 8601 instant such as 2026-03-02T00:00:00Z.");
        if (start is not null && end is not null && end <= start) return Problems.BadRequest("Query 'to' must be after 'from'.");
        if (actor is { Length: > 200 } || action is { Length: > 100 }) return Problems.BadRequest("Query 'actor' or 'action' is too long.");
        var size = limit ?? 500;
        if (size is < 1 or > 10_000) return Problems.BadRequest("Query 'limit' must be between 1 and 10000.");
        var entries = await log.ListAsync(new AuditFilter(start, end, Blank(actor), Blank(action), size), ct);
        if (WantsCsv(http.Request)) return TypedResults.File(Csv(entries), "text/csv; charset=utf-8", "audit.csv");
        return TypedResults.Ok(entries);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryInstant(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) return false;
        value = parsed;
        return true;
    }

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
        || string.Equals(request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase);

    private static byte[] Csv(IReadOnlyList<AuditEntry> entries)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true))
        {
            foreach (var header in new[] { "id", "occurredAt", "actorKind", "actorId", "actorName", "ip", "action", "targetType", "targetId", "data" })
                csv.WriteField(header);
            csv.EndRecord();
            foreach (var e in entries)
            {
                csv.WriteField(e.Id.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(e.OccurredAt.ToString("O", CultureInfo.InvariantCulture));
                foreach (var field in new[] { e.ActorKind, e.ActorId, e.ActorName, e.Ip, e.Action, e.TargetType, e.TargetId, e.Data.ToJsonString() })
                    csv.WriteField(field ?? "");
                csv.EndRecord();
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
