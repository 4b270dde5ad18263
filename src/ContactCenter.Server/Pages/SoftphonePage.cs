using ContactCenter.Server.Auth;

namespace ContactCenter.Server.Pages;

/// <summary>
/// <c>/softphone</c>: the agent's softphone on a page of its own, until the desk (<c>/desk</c>) carries the same
/// panel (any element with <c>data-softphone</c> and the three scripts below).
/// </summary>
public static class SoftphonePage
{
    public static IEndpointRouteBuilder MapSoftphonePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/softphone", () => Results.Content(Html, "text/html; charset=utf-8"))
            .RequireAuthorization(Policies.Agent).ExcludeFromDescription();
        return app;
    }

    private const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Softphone</title>
          <link rel="stylesheet" href="/assets/site.css">
          <link rel="stylesheet" href="/assets/softphone.css">
          <script src="/assets/common.js" defer></script>
          <script src="/assets/twilio_voice.min.js" defer></script>
          <script src="/assets/softphone.js" defer></script>
          <script src="/assets/softphone_page.js" defer></script>
        </head>
        <body>
          <header class="bar"><h1>Softphone</h1>
            <span>Status: <strong data-role="presence">–</strong></span>
            <button type="button" data-presence="available">Available</button>
            <button type="button" data-presence="away">Away</button>
          </header>
          <main><div data-softphone></div></main>
        </body>
        </html>
        """;
}
