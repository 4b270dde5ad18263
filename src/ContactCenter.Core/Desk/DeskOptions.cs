using System.Text.RegularExpressions;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace ContactCenter.Core.Desk;

/// <summary>The agent desk (<c>Desk:*</c>).</summary>
public sealed class DeskOptions
{
    /// <summary>A desk that sends no heartbeat for this long is gone: its agent becomes away (conversations stay theirs).</summary>
    public TimeSpan AwayAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Approved WhatsApp templates the composer offers outside the 24-hour window, by name.</summary>
    public Dictionary<string, WhatsAppTemplate> Templates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How often a desk page beats: often enough that two missed beats still leave it present.</summary>
    public TimeSpan HeartbeatInterval =>
        TimeSpan.FromMilliseconds(Math.Clamp(AwayAfter.TotalMilliseconds / 4, 250, 15_000));
}

/// <summary>A template approved by WhatsApp (Twilio Content API): its sid and its body with <c>{{1}}</c> variables.</summary>
public sealed partial class WhatsAppTemplate
{
    public string ContentSid { get; set; } = "";
    public string Body { get; set; } = "";
    public string Language { get; set; } = "en";

    /// <summary>The variable names in the body, in order: "{{1}} and {{2}}" → ["1", "2"].</summary>
    public IReadOnlyList<string> Variables =>
        VariablePattern().Matches(Body).Select(m => m.Groups[1].Value).Distinct().ToList();

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex VariablePattern();
}

public static class DeskServiceCollectionExtensions
{
    /// <summary>Canned replies, tags, read marks, desk presence and the away sweep.</summary>
    public static IServiceCollection AddContactCenterDesk(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DeskOptions>(configuration.GetSection("Desk"));
        services.AddSingleton<CannedReplyStore>();
        services.AddSingleton<TagStore>();
        services.AddSingleton<DeskReads>();
        services.AddSingleton<DeskPresence>();
        services.AddSingleton<DeskInbox>();
        services.AddHostedService<DeskAwaySweeper>();
        return services;
    }
}

/// <summary>The desk's change feed: PostgreSQL notifications every instance listens to (<c>cc_desk</c>).</summary>
public static class DeskSignals
{
    /// <summary>Timeline events (from a trigger), presence, typing, tags: payload is a small JSON object with a "type".</summary>
    public const string Channel = "cc_desk";

    public static Task NotifyAsync(NpgsqlConnection connection, System.Text.Json.Nodes.JsonObject payload, CancellationToken ct) =>
        connection.Sql("select pg_notify($1, $2)", Channel, payload.ToJsonString()).ExecuteNonQueryAsync(ct);
}
