using ContactCenter.Core.Storage;
using ContactCenter.Tests.Channels;
using ContactCenter.Tests.Twilio;
using Microsoft.Playwright;

namespace ContactCenter.Tests.Desk;

/// <summary>
/// The service on a real port for the browser, Twilio faked with WireMock, routing queueing new conversations by
/// itself, a short <c>Desk:AwayAfter</c> and one approved WhatsApp template.
/// </summary>
public class DeskFixture : TwilioFixture
{
    public const string TemplateSid = "HX0123456789abcdef0123456789abcdef";
    public static readonly TimeSpan AwayAfter = TimeSpan.FromSeconds(2);

    protected override bool OnRealPort => true;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Routing:AutoQueue"] = "true",
        ["Routing:SweepInterval"] = "00:00:01",
        ["Desk:AwayAfter"] = AwayAfter.ToString(),
        ["Desk:Templates:order_update:ContentSid"] = TemplateSid,
        ["Desk:Templates:order_update:Body"] = "Hello {{1}}, there is news about your order {{2}}.",
        ["Desk:Templates:order_update:Language"] = "en",
    };

    public async Task ResetDeskAsync()
    {
        await ResetAsync();
        Twilio.Reset();
    }

    public async Task<long> ScalarAsync(string sql, params object[] args)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return Convert.ToInt64(await connection.Sql(sql, args).ExecuteScalarAsync());
    }
}

/// <summary>The same with the messaging bot on WhatsApp (and its fake order-status API), for handoffs with context.</summary>
public sealed class DeskBotFixture : DeskFixture
{
    public ProviderFake Orders { get; } = new((path, _) => path.EndsWith("/orders/NW-55555", StringComparison.Ordinal)
        ? (200, """{"status":"shipped","estimatedDelivery":"2026-11-30"}""")
        : (404, """{"error":"not found"}"""));

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Flows:Bots:whatsapp"] = "messaging-bot",
        ["Flows:Endpoints:orders:BaseUrl"] = Orders.Url,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Orders.Dispose();
    }
}

/// <summary>Signing in to the desk in a real browser.</summary>
public static class DeskPages
{
    public static async Task<(IBrowserContext Context, IPage Page)> OpenDeskAsync(this DeskFixture fx, string key, string path = "/desk")
    {
        var context = await Browser.NewContextAsync(fx.BaseAddress);
        var page = await context.NewPageAsync();
        await Browser.LoginWithKeyAsync(page, key, path);
        await Assertions.Expect(page.Locator("#state")).ToHaveTextAsync("live", new() { Timeout = 30_000 }); // the first page of a loaded run also starts the browser and the stream
        return (context, page);
    }

    /// <summary>The inbox entry of a conversation.</summary>
    public static ILocator InboxItem(this IPage page, string list, Guid conversationId) =>
        page.Locator($"#{list} li[data-id='{conversationId}']");
}
