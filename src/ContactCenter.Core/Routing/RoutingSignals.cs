using System.Text.Json.Nodes;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>
/// PostgreSQL notifications, sent inside the transaction that changed something, so listeners in every
/// instance wake only after the change is committed (NOTIFY is transactional).
/// </summary>
public static class RoutingSignals
{
    /// <summary>Something assignment depends on changed: a conversation waits, an agent has room.</summary>
    public const string RoutingChannel = "cc_routing";
    /// <summary>What supervisors watch changed: payload is a small JSON object with a "type".</summary>
    public const string LiveChannel = "cc_live";

    public static Task WakeRoutingAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.Sql("select pg_notify($1, '')", RoutingChannel).ExecuteNonQueryAsync(ct);

    public static Task LiveAsync(NpgsqlConnection connection, JsonObject payload, CancellationToken ct) =>
        connection.Sql("select pg_notify($1, $2)", LiveChannel, payload.ToJsonString()).ExecuteNonQueryAsync(ct);
}
