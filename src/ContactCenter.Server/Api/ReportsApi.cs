using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ContactCenter.Core.Accounts;
using ContactCenter.Core.Forecast;
using ContactCenter.Core.Reports;
using ContactCenter.Server.Auth;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace ContactCenter.Server.Api;

/// <summary>Supervisors' reports (JSON or CSV) and the live Erlang C forecast per queue.</summary>
public static class ReportsApi
{
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/reports/{report}", ReportAsync).WithTags("Reports").RequireAuthorization(Policies.Supervisor)
            .WithSummary("A report by day or hour in a time zone (volume, response-times, handle-times, resolution, satisfaction, bot, abandonment); CSV with Accept: text/csv");
        app.MapGet("/api/queues/{name}/forecast", ForecastAsync).WithTags("Queues").RequireAuthorization(Policies.Supervisor)
            .WithSummary("Erlang C forecast from the last Forecast:Window: offered load, probability of waiting, expected wait, agents needed for the target");
        app.MapGet("/api/forecasts", ForecastsAsync).WithTags("Queues").RequireAuthorization(Policies.Supervisor)
            .WithSummary("The forecast of every queue (the console's)");
        return app;
    }

    private static async Task<Results<Ok<JsonObject>, FileContentHttpResult, ProblemHttpResult>> ReportAsync(
        string report, string? from, string? to, string? timeZone, string? by, string? channel, string? queue, string? agent,
        string? tag, string? businessHours, HttpContext http, AuditTrail audit, ConversationReports conversations, ExperienceReports experience,
        CancellationToken ct)
    {
        var (query, errors) = ReportQuery.Parse(report, from, to, timeZone, by, channel, queue, agent, tag, businessHours);
        if (query is null)
            return TypedResults.Problem(string.Join(" ", errors), statusCode: 400, title: "Invalid report request",
                extensions: new Dictionary<string, object?> { ["errors"] = errors });
        var table = await query.RunAsync(conversations, experience, ct);
        if (WantsCsv(http.Request))
        {
            await audit.RecordAsync(http, AuditActions.ReportExported, "report", table.Report, new { query.Start, query.End, query.Queue, query.Agent });
            return TypedResults.File(Csv(table), "text/csv; charset=utf-8", $"{table.Report}-{TimeZoneInfo.ConvertTime(query.Start, query.Zone):yyyy-MM-dd}.csv");
        }

        return TypedResults.Ok(Json(query, table));
    }

    private static async Task<Results<Ok<QueueForecast>, ProblemHttpResult>> ForecastAsync(string name, QueueForecaster forecaster, CancellationToken ct) =>
        await forecaster.ForecastAsync(name, ct) is { } forecast ? TypedResults.Ok(forecast) : Problems.NotFound($"No queue '{name}'.");

    private static async Task<Ok<IReadOnlyList<QueueForecast>>> ForecastsAsync(QueueForecaster forecaster, CancellationToken ct) =>
        TypedResults.Ok(await forecaster.ForecastManyAsync(null, ct));

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
        || string.Equals(request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase);

    private static JsonObject Json(ReportQuery query, ReportTable table)
    {
        JsonObject Row(ReportRow row)
        {
            var o = new JsonObject { ["period"] = row.Period };
            for (var i = 0; i < table.Columns.Count; i++) o[table.Columns[i]] = row.Values[i] is { } v ? JsonValue.Create(v) : null;
            return o;
        }

        return new JsonObject
        {
            ["report"] = table.Report,
            ["from"] = query.Start.ToString("O", CultureInfo.InvariantCulture),
            ["to"] = query.End.ToString("O", CultureInfo.InvariantCulture),
            ["timeZone"] = query.Zone.Id,
            ["by"] = query.By == ReportGrain.Day ? "day" : "hour",
            ["businessHours"] = query.BusinessHours,
            ["filters"] = new JsonObject { ["channel"] = query.Channel, ["queue"] = query.Queue, ["agent"] = query.Agent, ["tag"] = query.Tag },
            ["columns"] = new JsonArray([.. table.Columns.Select(c => (JsonNode)c)]),
            ["rows"] = new JsonArray([.. table.Rows.Select(r => (JsonNode)Row(r))]),
            ["total"] = Row(table.Total),
        };
    }

    /// <summary>A header row, a row per period, the total last; numbers in invariant culture, empty for "nothing to measure".</summary>
    internal static byte[] Csv(ReportTable table)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture }, leaveOpen: true))
        {
            csv.WriteField("period");
            foreach (var column in table.Columns) csv.WriteField(column);
            csv.EndRecord();
            foreach (var row in table.Rows.Append(table.Total))
            {
                csv.WriteField(row.Period);
                foreach (var value in row.Values) csv.WriteField(value?.ToString(CultureInfo.InvariantCulture) ?? "");
                csv.EndRecord();
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
