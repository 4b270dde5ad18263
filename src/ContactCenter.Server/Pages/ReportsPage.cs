using ContactCenter.Server.Auth;

namespace ContactCenter.Server.Pages;

/// <summary>
/// <c>/reports</c>: pick a report, a range and filters; the trend is drawn with uPlot (1.6.32, MIT, Leon Sorokin:
/// <c>Assets/uplot.iife.min.js</c> and <c>uplot.min.css</c> as published on npm) and the table below it downloads as CSV.
/// </summary>
public static class ReportsPage
{
    public static IEndpointRouteBuilder MapReportsPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/reports", () => Results.Content(Html, "text/html; charset=utf-8"))
            .RequireAuthorization(Policies.Supervisor).ExcludeFromDescription();
        return app;
    }

    private const string Html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ContactCenter: reports</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/assets/site.css"><link rel="stylesheet" href="/assets/uplot.min.css">
        <link rel="stylesheet" href="/assets/reports.css"></head><body>
        <header class="bar"><h1>Reports</h1><nav><a href="/supervisor">Live console</a></nav></header>
        <main>
        <form id="query" class="filters">
          <label>Report <select name="report" id="report">
            <option value="volume">Volume</option><option value="response-times">Response times</option>
            <option value="handle-times">Handle times</option><option value="resolution">First contact resolution</option>
            <option value="satisfaction">Satisfaction</option><option value="bot">Bot</option><option value="abandonment">Abandonment</option>
          </select></label>
          <label>From <input type="date" name="from" id="from" required></label>
          <label>To <input type="date" name="to" id="to" required></label>
          <label>Time zone <input name="timeZone" id="timeZone" size="18"></label>
          <label>By <select name="by" id="by"><option value="day">day</option><option value="hour">hour</option></select></label>
          <label>Channel <input name="channel" id="channel" size="9"></label>
          <label>Queue <input name="queue" id="queue" size="9"></label>
          <label>Agent <input name="agent" id="agent" size="9"></label>
          <label>Tag <input name="tag" id="tag" size="9"></label>
          <label><input type="checkbox" name="businessHours" id="businessHours" value="true"> business hours only</label>
          <button class="primary" type="submit">Show</button>
          <a id="csv" href="#" download>Download CSV</a>
        </form>
        <p id="status" class="muted" role="status"></p>
        <div id="chart" aria-label="trend chart"></div>
        <table><thead id="head"></thead><tbody id="rows"></tbody><tfoot id="total"></tfoot></table>
        </main>
        <script src="/assets/common.js"></script><script src="/assets/uplot.iife.min.js"></script><script src="/assets/reports.js"></script>
        </body></html>
        """;
}
