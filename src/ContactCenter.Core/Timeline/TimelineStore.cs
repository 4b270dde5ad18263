using System.Text.Json;
using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Reactions;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using ContactCenter.Core.Work;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Timeline;

public sealed record TimelinePage(IReadOnlyList<TimelineEvent> Events, string? Next);

/// <summary>The append-only customer timeline.</summary>
public sealed class TimelineStore(NpgsqlDataSource db, IOptions<ReactionTypes> reactionTypes)
{
    internal const string Columns =
        "id, customer_id, conversation_id, channel, type, direction, occurred_at, text, provider_id, data";

    private readonly HashSet<string> _wanted = reactionTypes.Value.EventTypes;

    /// <summary>Whether events of this type create work (some reaction wants them).</summary>
    public bool WantsReaction(string eventType) => _wanted.Contains(eventType);

    /// <summary>
    /// Appends inside the caller's transaction. The caller must hold the customer (see
    /// <see cref="Customers.CustomerStore.LockSurvivorAsync"/>) so a concurrent merge cannot strand the event.
    /// </summary>
    /// <returns>The new event's id, or null when an event with the same dedupe key is already stored.</returns>
    public async Task<long?> AppendAsync(NpgsqlConnection connection, NewTimelineEvent e, DateTimeOffset recordedAt, CancellationToken ct)
    {
        // Events some after-commit reaction wants also get their work row in the same transaction; its insert
        // trigger sends NOTIFY, which PostgreSQL delivers only once the transaction commits.
        var sql = WantsReaction(e.Type)
            ? $"""
              with e as (
                  insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at,
                                               recorded_at, text, provider_id, dedupe_key, data)
                  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                  on conflict (dedupe_key) do nothing
                  returning id, customer_id, conversation_id, type, occurred_at),
              r as ({WorkStore.EventWorkSql("e", "$7", "$12")})
              select id from e
              """
            : """
              insert into timeline_events (customer_id, conversation_id, channel, type, direction, occurred_at,
                                           recorded_at, text, provider_id, dedupe_key, data)
              values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
              on conflict (dedupe_key) do nothing
              returning id
              """;
        await using var command = connection.Sql(sql,
            e.CustomerId, Db.Uuid(e.ConversationId), Db.Text(e.Channel?.ToName()), e.Type, e.Direction,
            e.OccurredAt, recordedAt, Db.Text(e.Text), Db.Text(e.ProviderId), Db.Text(e.DedupeKey),
            Db.Jsonb(e.Data?.ToJsonString() ?? "{}"));
        // Only the statement with the work row names $12.
        if (WantsReaction(e.Type)) command.Parameters.Add(Db.Text(ContactCenterTelemetry.CurrentTraceParent()));
        return await command.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    public async Task<TimelineEvent?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from timeline_events where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<TimelineEvent?> FindByDedupeKeyAsync(NpgsqlConnection connection, string dedupeKey, CancellationToken ct)
    {
        await using var command = connection.Sql($"select {Columns} from timeline_events where dedupe_key = $1", dedupeKey);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>
    /// The earliest event with the provider's id from the customer behind a channel address (following merges,
    /// which move identities and events together), e.g. the message a provider's edit refers to.
    /// </summary>
    public async Task<TimelineEvent?> FindByProviderIdAsync(Channel channel, string address, string providerId, string type, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            select {Columns} from timeline_events
            where customer_id = (select customer_id from customer_identities where channel = $1 and address = $2)
              and channel = $1 and provider_id = $3 and type = $4
            order by id limit 1
            """, channel.ToName(), address, providerId, type);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>A page of one customer's timeline, newest first, after <paramref name="before"/>.</summary>
    public async Task<TimelinePage> PageAsync(Guid customerId, TimelineCursor? before, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = before is { } cursor
            ? connection.Sql($"""
                select {Columns} from timeline_events
                where customer_id = $1 and (occurred_at, id) < ($2, $3)
                order by occurred_at desc, id desc limit $4
                """, customerId, cursor.OccurredAt, cursor.Id, limit + 1)
            : connection.Sql($"""
                select {Columns} from timeline_events
                where customer_id = $1
                order by occurred_at desc, id desc limit $2
                """, customerId, limit + 1);
        var events = new List<TimelineEvent>(limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) events.Add(Read(reader));
        }

        if (events.Count <= limit) return new TimelinePage(events, null);
        events.RemoveAt(limit);
        var last = events[^1];
        return new TimelinePage(events, new TimelineCursor(last.OccurredAt, last.Id).Encode());
    }

    /// <summary>The events of one conversation in the order they were recorded.</summary>
    public async Task<IReadOnlyList<TimelineEvent>> ConversationEventsAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            $"select {Columns} from timeline_events where conversation_id = $1 order by occurred_at, id", conversationId);
        var events = new List<TimelineEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) events.Add(Read(reader));
        return events;
    }

    /// <summary>An event from <see cref="Columns"/>, starting at column <paramref name="first"/>.</summary>
    internal static TimelineEvent Read(NpgsqlDataReader reader, int first = 0) => new(
        reader.GetInt64(first),
        reader.GetGuid(first + 1),
        reader.Nullable<Guid?>(first + 2),
        reader.IsDBNull(first + 3) ? null : ChannelNames.TryParse(reader.GetString(first + 3), out var channel) ? channel : null,
        reader.GetString(first + 4),
        reader.GetString(first + 5),
        reader.Instant(first + 6),
        reader.Nullable<string>(first + 7),
        reader.Nullable<string>(first + 8),
        ParseObject(reader.GetString(first + 9)));

    internal static JsonObject ParseObject(string json) =>
        JsonNode.Parse(json) as JsonObject ?? throw new JsonException("Expected a JSON object.");
}
