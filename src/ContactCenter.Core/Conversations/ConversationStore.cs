using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Conversations;

public sealed class ConversationStore(NpgsqlDataSource db, TimelineStore timeline, TimeProvider clock)
{
    private const string Columns = "id, customer_id, channel, status, queue, assignee, priority, opened_at, closed_at, handoff";

    /// <summary>
    /// The customer's open conversation on the channel, opened when there is none. On a channel that holds several
    /// open conversations (<see cref="ChannelNames.HoldsSeveralOpenConversations"/>) it is the one
    /// <paramref name="continues"/> names while that is open and the customer's; otherwise a new one is opened.
    /// </summary>
    internal static async Task<(Guid Id, bool Opened)> FindOrOpenAsync(
        NpgsqlConnection connection, Guid customerId, Channel channel, string customerAddress, string? companyAddress,
        DateTimeOffset now, CancellationToken ct, Guid? continues = null)
    {
        var several = channel.HoldsSeveralOpenConversations();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using (var find = connection.Sql("""
                select id, company_address, customer_address from conversations
                where customer_id = $1 and channel = $2 and closed_at is null and (not $3 or id = $4)
                """, customerId, channel.ToName(), several, Db.Uuid(continues)))
            await using (var reader = await find.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    var id = reader.GetGuid(0);
                    var changed = (companyAddress is not null && companyAddress != reader.Nullable<string>(1))
                                  || customerAddress != reader.GetString(2);
                    await reader.DisposeAsync();
                    // Replies go to the address and from the number the customer wrote last.
                    if (changed)
                        await connection.Sql("""
                            update conversations set company_address = coalesce($2, company_address), customer_address = $3 where id = $1
                            """, id, Db.Text(companyAddress), customerAddress).ExecuteNonQueryAsync(ct);
                    return (id, false);
                }
            }

            var newId = Guid.CreateVersion7(now);
            // The arbiter is the one-open index, which leaves out the channels with several open conversations.
            await using var open = connection.Sql("""
                insert into conversations (id, customer_id, channel, customer_address, company_address, status, opened_at)
                values ($1, $2, $3, $4, $5, $6, $7)
                on conflict (customer_id, channel) where closed_at is null and channel <> 'email' do nothing
                returning id
                """, newId, customerId, channel.ToName(), customerAddress, Db.Text(companyAddress), ConversationStatus.Open, now);
            if (await open.ExecuteScalarAsync(ct) is Guid opened) return (opened, true);
        }

        throw new InvalidOperationException("Could not find or open a conversation.");
    }

    /// <summary>
    /// Inside the caller's transaction: the conversation (following a merge that folded it into another) with
    /// its customer locked, so events can be appended to it safely.
    /// </summary>
    public static async Task<ConversationEndpoint?> LockForAppendAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct)
    {
        var id = conversationId;
        for (var hops = 0; hops < 32; hops++)
        {
            // The conversation's customer, share-locked in the same statement (the first hop of LockSurvivorAsync).
            Guid customerId;
            Guid? mergedTo;
            await using (var command = connection.Sql("""
                select cu.id, cu.merged_into from conversations c join customers cu on cu.id = c.customer_id where c.id = $1 for share of cu
                """, id))
            await using (var found = await command.ExecuteReaderAsync(ct))
            {
                if (!await found.ReadAsync(ct)) return null;
                customerId = found.GetGuid(0);
                mergedTo = found.Nullable<Guid?>(1);
            }

            var survivor = mergedTo is { } next ? await CustomerStore.LockSurvivorAsync(connection, next, ct) : customerId;
            // Re-read under the lock: a merge that finished while we waited may have moved or folded it.
            await using var reread = connection.Sql("""
                select customer_id, merged_into, channel, customer_address, company_address, status from conversations where id = $1
                """, id);
            await using var reader = await reread.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (reader.Nullable<Guid?>(1) is { } mergedInto)
            {
                id = mergedInto;
                continue;
            }

            if (reader.GetGuid(0) != survivor) continue;
            return new ConversationEndpoint(id, survivor, ChannelNames.Parse(reader.GetString(2)), reader.GetString(3),
                reader.Nullable<string>(4), reader.GetString(5));
        }

        throw new InvalidOperationException($"Conversation {conversationId} has a merge chain that is too long.");
    }

    /// <summary>
    /// A conversation the company starts (an agent writing first): the customer gets the address as an identity
    /// when it is new, and their open conversation on the channel is found or opened (on a channel with several
    /// open conversations, such as email, a new one: a new email is a new thread). An address that belongs to
    /// another customer is refused (merge the two first).
    /// </summary>
    public async Task<StartOutcome> StartAsync(Guid customerId, Channel channel, string address, string? companyAddress, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var exists = connection.Sql("select 1 from customers where id = $1", customerId))
            if (await exists.ExecuteScalarAsync(ct) is null) return new StartOutcome.CustomerNotFound();
        var survivor = await CustomerStore.LockSurvivorAsync(connection, customerId, ct);
        var owner = await CustomerStore.ClaimIdentityAsync(connection, survivor, channel, address, now, ct);
        if (owner != survivor) return new StartOutcome.AddressTaken(owner);
        var (id, opened) = await FindOrOpenAsync(connection, survivor, channel, address, companyAddress, now, ct);
        await tx.CommitAsync(ct);
        return new StartOutcome.Started(id, survivor, opened);
    }

    public async Task<Conversation?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from conversations where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<ConversationEndpoint?> GetEndpointAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            "select id, customer_id, channel, customer_address, company_address, status from conversations where id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new ConversationEndpoint(reader.GetGuid(0), reader.GetGuid(1), ChannelNames.Parse(reader.GetString(2)),
            reader.GetString(3), reader.Nullable<string>(4), reader.GetString(5));
    }

    public async Task<IReadOnlyList<Conversation>> ListAsync(ConversationFilter filter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            select {Columns} from conversations
            where ($1::text is null or status = $1)
              and ($2::text is null or queue = $2)
              and ($3::text is null or assignee = $3)
              and ($4::uuid is null or customer_id = $4)
              and ($6::boolean or assignee = $7 or (assignee is null and closed_at is null and queue = any($8)))
            order by opened_at desc, id desc
            limit $5
            """, Db.Text(filter.Status), Db.Text(filter.Queue), Db.Text(filter.Assignee), Db.Uuid(filter.CustomerId), filter.Limit,
            filter.Scope is null, Db.Text(filter.Scope?.AgentId), (filter.Scope?.Queues ?? []).ToArray());
        var list = new List<Conversation>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    /// <summary>The customer's open conversations, newest first, for a batch (rows read with <see cref="Read"/>).</summary>
    internal static NpgsqlBatchCommand OpenForCustomerBatch(Guid customerId) =>
        Db.Batch($"select {Columns} from conversations where customer_id = $1 and closed_at is null order by opened_at desc", customerId);

    /// <summary>
    /// An internal note: on the timeline, never sent to the customer. Agents it mentions (<c>@agent-id</c>, existing
    /// agents only) are listed in its data, so the note shows in their inbox.
    /// </summary>
    public async Task<TimelineEvent?> AddNoteAsync(Guid conversationId, string text, string author, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockForAppendAsync(connection, conversationId, ct) is not { } target) return null;
        var mentions = new JsonArray();
        var named = Mentions.Parse(text);
        if (named.Count > 0)
        {
            await using var known = connection.Sql("select id from agents where id = any($1) order by id", (object)named.ToArray());
            await using var reader = await known.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) mentions.Add(reader.GetString(0));
        }

        var id = await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = target.CustomerId,
            ConversationId = target.ConversationId,
            Channel = target.Channel,
            Type = TimelineEventTypes.NoteAdded,
            Direction = Direction.Internal,
            OccurredAt = now,
            Text = text,
            Data = new JsonObject { ["author"] = author, ["mentions"] = mentions },
        }, now, ct);
        await tx.CommitAsync(ct);
        return await timeline.GetAsync(id!.Value, ct);
    }

    /// <summary>Closes the conversation. Resolving one that is already closed changes nothing.</summary>
    public async Task<Conversation?> ResolveAsync(Guid conversationId, string actor, CancellationToken ct) =>
        (await ResolveAsync(conversationId, actor, null, ct)).Conversation;

    /// <summary>
    /// Closes the conversation for a person acting through the API: refused (with its owner) when it is another
    /// agent's (<see cref="ConversationAccess"/>). Null conversation: there is none.
    /// </summary>
    public async Task<(Conversation? Conversation, NotOwner? Refused)> ResolveAsync(
        Guid conversationId, string actor, ConversationActor? by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockForAppendAsync(connection, conversationId, ct) is not { } target) return (null, null);
        if (by is not null && target.Status is not (ConversationStatus.Resolved or ConversationStatus.Merged)
            && await ConversationAccess.CheckAsync(connection, target.ConversationId,
                await ConversationAccess.AssigneeForShareAsync(connection, target.ConversationId, ct), by, ct) is { } notOwner)
            return (null, notOwner);
        await using var close = connection.Sql("""
            update conversations set status = $2, closed_at = $3 where id = $1 and closed_at is null
            """, target.ConversationId, ConversationStatus.Resolved, now);
        if (await close.ExecuteNonQueryAsync(ct) > 0)
        {
            await timeline.AppendAsync(connection, new NewTimelineEvent
            {
                CustomerId = target.CustomerId,
                ConversationId = target.ConversationId,
                Channel = target.Channel,
                Type = TimelineEventTypes.ConversationResolved,
                Direction = Direction.Internal,
                OccurredAt = now,
                Data = new JsonObject { ["by"] = actor },
            }, now, ct);
        }

        await tx.CommitAsync(ct);
        return (await GetAsync(target.ConversationId, ct), null);
    }

    /// <summary>
    /// Opens a resolved conversation again, assigned to the agent who reopens it (or to nobody). Refused when the
    /// customer already has another open conversation on the channel (one open conversation per channel, except on
    /// channels that hold several).
    /// </summary>
    public async Task<(Conversation? Conversation, string? Refused)> ReopenAsync(Guid conversationId, ConversationActor by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await LockForAppendAsync(connection, conversationId, ct) is not { } target) return (null, null);
        if (target.Status != ConversationStatus.Resolved) return (await GetAsync(target.ConversationId, ct), null);
        // An email thread reopens beside the customer's other open threads.
        if (!target.Channel.HoldsSeveralOpenConversations())
        await using (var other = connection.Sql("""
            select id from conversations where customer_id = $1 and channel = $2 and closed_at is null and id <> $3
            """, target.CustomerId, target.Channel.ToName(), target.ConversationId))
        {
            if (await other.ExecuteScalarAsync(ct) is Guid open)
                return (null, $"The customer has another open {target.Channel.ToName()} conversation ({open}); continue there.");
        }

        try
        {
            await connection.Sql("""
                update conversations set status = $2, assignee = $3, closed_at = null where id = $1
                """, target.ConversationId, by.AgentId is null ? ConversationStatus.Open : ConversationStatus.Assigned, Db.Text(by.AgentId))
                .ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // A message from the customer opened a new conversation on the channel meanwhile.
            return (null, $"The customer has another open {target.Channel.ToName()} conversation; continue there.");
        }

        await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = target.CustomerId,
            ConversationId = target.ConversationId,
            Channel = target.Channel,
            Type = TimelineEventTypes.ConversationReopened,
            Direction = Direction.Internal,
            OccurredAt = now,
            Data = new JsonObject { ["by"] = by.Id, ["agentId"] = by.AgentId },
        }, now, ct);
        await tx.CommitAsync(ct);
        return (await GetAsync(target.ConversationId, ct), null);
    }

    internal static Conversation Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        ChannelNames.Parse(reader.GetString(2)),
        reader.GetString(3),
        reader.Nullable<string>(4),
        reader.Nullable<string>(5),
        reader.GetInt32(6),
        reader.Instant(7),
        reader.NullableInstant(8),
        reader.IsDBNull(9) ? null : TimelineStore.ParseObject(reader.GetString(9)));
}
