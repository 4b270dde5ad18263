using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Storage;
using ContactCenter.Core.Timeline;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Customers;

/// <summary>Customers and their identities on every channel: resolution, profiles, merges, opt-outs.</summary>
public sealed partial class CustomerStore(
    NpgsqlDataSource db,
    TimelineStore timeline,
    TimeProvider clock,
    ILogger<CustomerStore> log)
{
    /// <summary>
    /// Takes a share lock on the customer and, when it was merged, on the survivor instead. Every write that
    /// attaches something to a customer holds this lock, and a merge takes the exclusive lock, so nothing
    /// is written to a customer while it is being merged away.
    /// </summary>
    public static async Task<Guid> LockSurvivorAsync(NpgsqlConnection connection, Guid customerId, CancellationToken ct)
    {
        var id = customerId;
        for (var hops = 0; hops < 32; hops++)
        {
            await using var command = connection.Sql("select merged_into from customers where id = $1 for share", id);
            var result = await command.ExecuteScalarAsync(ct);
            if (result is null) throw new InvalidOperationException($"Customer {id} does not exist.");
            if (result is not Guid next) return id;
            id = next;
        }

        throw new InvalidOperationException($"Customer {customerId} has a merge chain that is too long.");
    }

    /// <summary>
    /// The customer behind a channel address, created when new, inside the caller's transaction and locked
    /// (see <see cref="LockSurvivorAsync"/>). A phone number already known on another phone channel joins
    /// that customer: only an exact normalized address merges automatically.
    /// </summary>
    internal async Task<Guid> ResolveForInboundAsync(
        NpgsqlConnection connection, Channel channel, string address, Guid? knownCustomerId, string? name, DateTimeOffset now, CancellationToken ct)
    {
        var customerId = knownCustomerId ?? await FindOnChannelAsync(connection, channel, address, ct);
        if (customerId is null && channel.IsPhone())
        {
            // Two first messages from one number on two channels at once must not create two customers.
            await connection.Sql("select pg_advisory_xact_lock(hashtextextended($1, 0))", "phone:" + address).ExecuteNonQueryAsync(ct);
            customerId = await FindOnChannelAsync(connection, channel, address, ct);
            if (customerId is null)
            {
                await using var sibling = connection.Sql("""
                    select customer_id from customer_identities
                    where address = $1 and channel = any($2) order by created_at limit 1
                    """, address, ChannelNames.PhoneChannelNames);
                if (await sibling.ExecuteScalarAsync(ct) is Guid siblingCustomer)
                {
                    var survivor = await LockSurvivorAsync(connection, siblingCustomer, ct);
                    await connection.Sql("""
                        insert into customer_identities (channel, address, customer_id, created_at)
                        values ($1, $2, $3, $4) on conflict do nothing
                        """, channel.ToName(), address, survivor, now).ExecuteNonQueryAsync(ct);
                    await NameIfUnnamedAsync(connection, survivor, name, ct);
                    return survivor;
                }
            }
        }

        if (customerId is null && channel == Channel.Email && await ProfileWithEmailAsync(connection, address, ct) is { } profile)
        {
            // An address an agent put on a customer's profile is that customer's: their mail joins them, and from now on
            // the address is their identity (a concurrent first mail that claimed it first wins; ClaimIdentity answers it).
            var owner = await ClaimIdentityAsync(connection, await LockSurvivorAsync(connection, profile, ct), channel, address, now, ct);
            await NameIfUnnamedAsync(connection, owner, name, ct);
            return owner;
        }

        while (customerId is null)
        {
            // Claim the identity first (its foreign key is deferred), then write the customer: a concurrent
            // creator of the same identity waits on the unique key and then finds ours.
            var newId = Guid.CreateVersion7(now);
            await using var claim = connection.Sql("""
                insert into customer_identities (channel, address, customer_id, created_at)
                values ($1, $2, $3, $4) on conflict do nothing returning customer_id
                """, channel.ToName(), address, newId, now);
            if (await claim.ExecuteScalarAsync(ct) is Guid)
            {
                await connection.Sql("insert into customers (id, name, created_at) values ($1, $2, $3)", newId, Db.Text(Trim(name)), now)
                    .ExecuteNonQueryAsync(ct);
                LogCreated(channel.ToName(), Redact.Address(address));
                return newId;
            }

            customerId = await FindOnChannelAsync(connection, channel, address, ct);
        }

        var locked = await LockSurvivorAsync(connection, customerId.Value, ct);
        await NameIfUnnamedAsync(connection, locked, name, ct);
        return locked;
    }

    private static async Task<Guid?> FindOnChannelAsync(NpgsqlConnection connection, Channel channel, string address, CancellationToken ct)
    {
        await using var command = connection.Sql("select customer_id from customer_identities where channel = $1 and address = $2",
            channel.ToName(), address);
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    /// <summary>The oldest customer whose profile e-mail is <paramref name="email"/> (lower-cased), ignoring case.</summary>
    private static async Task<Guid?> ProfileWithEmailAsync(NpgsqlConnection connection, string email, CancellationToken ct)
    {
        await using var command = connection.Sql(
            "select id from customers where lower(email) = $1 and merged_into is null order by created_at limit 1", email);
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    private static async Task NameIfUnnamedAsync(NpgsqlConnection connection, Guid customerId, string? name, CancellationToken ct)
    {
        if (Trim(name) is not { } trimmed) return;
        await connection.Sql("update customers set name = $2 where id = $1 and name is null", customerId, trimmed).ExecuteNonQueryAsync(ct);
    }

    internal static string? TrimName(string? name) => Trim(name);

    private static string? Trim(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var trimmed = name.Trim();
        return trimmed.Length > 200 ? trimmed[..200] : trimmed;
    }

    /// <summary>The customer behind a normalized channel address, following merges.</summary>
    public async Task<Customer?> FindAsync(Channel channel, string address, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await FindOnChannelAsync(connection, channel, address, ct);
        return id is null ? null : await GetAsync(connection, id.Value, ct);
    }

    /// <summary>The profile of a customer; an id that was merged away answers with the survivor.</summary>
    public async Task<Customer?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await GetAsync(connection, id, ct);
    }

    /// <summary>The surviving id for a customer id (itself unless merged), or null when unknown.</summary>
    public async Task<Guid?> SurvivorAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await SurvivorAsync(connection, id, ct);
    }

    private static async Task<Guid?> SurvivorAsync(NpgsqlConnection connection, Guid id, CancellationToken ct)
    {
        for (var hops = 0; hops < 32; hops++)
        {
            await using var command = connection.Sql("select merged_into from customers where id = $1", id);
            var result = await command.ExecuteScalarAsync(ct);
            if (result is null) return null;
            if (result is not Guid next) return id;
            id = next;
        }

        return null;
    }

    /// <summary>
    /// The customer, their identities and open conversations in one round trip; an id that was merged away reads
    /// again at its survivor (rare: the read of a merged row is thrown away).
    /// </summary>
    private static async Task<Customer?> GetAsync(NpgsqlConnection connection, Guid requestedId, CancellationToken ct)
    {
        var id = requestedId;
        for (var hops = 0; hops < 32; hops++)
        {
            var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Db.Batch("select name, created_at, email, merged_into from customers where id = $1", id),
                    Db.Batch("select channel, address, opted_out from customer_identities where customer_id = $1 order by created_at, channel", id),
                    ConversationStore.OpenForCustomerBatch(id),
                },
            };
            await using (batch)
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct)) return null;
                if (reader.Nullable<Guid?>(3) is { } survivor)
                {
                    id = survivor;
                    continue;
                }

                var name = reader.Nullable<string>(0);
                var createdAt = reader.Instant(1);
                var email = reader.Nullable<string>(2);
                await reader.NextResultAsync(ct);
                var identities = new List<CustomerIdentity>();
                while (await reader.ReadAsync(ct))
                {
                    if (ChannelNames.TryParse(reader.GetString(0), out var channel))
                        identities.Add(new CustomerIdentity(channel, reader.GetString(1), reader.GetBoolean(2)));
                }

                await reader.NextResultAsync(ct);
                var open = new List<Conversation>();
                while (await reader.ReadAsync(ct)) open.Add(ConversationStore.Read(reader));
                return new Customer(id, name, createdAt, identities, open, email);
            }
        }

        return null;
    }

    /// <summary>An agent sets the customer's name and e-mail (null leaves a field as it is, "" clears it). Null: no such customer.</summary>
    public async Task<Customer?> UpdateProfileAsync(Guid id, string? name, string? email, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await SurvivorAsync(connection, id, ct) is not { } survivor) return null;
        await connection.Sql("""
            update customers set name = case when $2::text is null then name else nullif($2, '') end,
                                 email = case when $3::text is null then email else nullif($3, '') end
            where id = $1
            """, survivor, Db.Text(name), Db.Text(email)).ExecuteNonQueryAsync(ct);
        return await GetAsync(connection, survivor, ct);
    }

    /// <summary>
    /// Moves the other customer's identities, conversations, messages and events onto the survivor, leaves
    /// the other as a tombstone, and records <c>customer.merged</c>. Replaying a finished merge changes nothing.
    /// </summary>
    public async Task<MergeOutcome> MergeAsync(Guid survivorId, Guid otherId, string actor, CancellationToken ct)
    {
        if (survivorId == otherId) return new MergeOutcome.Refused("A customer cannot be merged with itself.");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();

        // Both rows, exclusively, in id order so two opposite merges cannot deadlock.
        var rows = new Dictionary<Guid, (Guid? MergedInto, string? Name)>();
        await using (var command = connection.Sql(
            "select id, merged_into, name from customers where id = any($1) order by id for update", new[] { survivorId, otherId }))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows[reader.GetGuid(0)] = (reader.Nullable<Guid?>(1), reader.Nullable<string>(2));
        }

        if (!rows.TryGetValue(survivorId, out var survivor)) return new MergeOutcome.NotFound(survivorId);
        if (!rows.TryGetValue(otherId, out var other)) return new MergeOutcome.NotFound(otherId);
        if (other.MergedInto == survivorId)
        {
            await tx.RollbackAsync(ct);
            return new MergeOutcome.AlreadyMerged((await GetAsync(connection, survivorId, ct))!);
        }
        if (survivor.MergedInto is { } survivorTarget)
            return new MergeOutcome.Refused($"Customer {survivorId} was merged into {survivorTarget}; merge into that customer instead.");
        if (other.MergedInto is { } otherTarget)
            return new MergeOutcome.Refused($"Customer {otherId} was already merged into {otherTarget}.");

        // An open conversation on a channel where the survivor has one too is folded into the survivor's; on a channel
        // that holds several open conversations (email threads) each stays a conversation of its own.
        var folded = new List<(Guid Absorbed, Guid Into)>();
        await using (var command = connection.Sql("""
            select o.id, s.id from conversations o
            join conversations s on s.customer_id = $1 and s.channel = o.channel and s.closed_at is null
            where o.customer_id = $2 and o.closed_at is null and not (o.channel = any($3))
            """, survivorId, otherId, ChannelNames.SeveralOpenChannelNames))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) folded.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }

        foreach (var (absorbed, into) in folded)
        {
            await connection.Sql("update timeline_events set conversation_id = $2 where conversation_id = $1", absorbed, into).ExecuteNonQueryAsync(ct);
            await connection.Sql("""
                update conversations set status = $3, closed_at = $4, merged_into = $2 where id = $1
                """, absorbed, into, ConversationStatus.Merged, now).ExecuteNonQueryAsync(ct);
        }

        var conversationsMoved = await connection.Sql("update conversations set customer_id = $1 where customer_id = $2", survivorId, otherId).ExecuteNonQueryAsync(ct);
        var eventsMoved = await connection.Sql("update timeline_events set customer_id = $1 where customer_id = $2", survivorId, otherId).ExecuteNonQueryAsync(ct);
        await connection.Sql("update outbound_messages set customer_id = $1 where customer_id = $2", survivorId, otherId).ExecuteNonQueryAsync(ct);
        var identitiesMoved = await connection.Sql("update customer_identities set customer_id = $1 where customer_id = $2", survivorId, otherId).ExecuteNonQueryAsync(ct);
        await connection.Sql("update customers set name = coalesce(name, $2) where id = $1", survivorId, Db.Text(other.Name)).ExecuteNonQueryAsync(ct);
        await connection.Sql("update customers set merged_into = $1, merged_at = $3 where id = $2", survivorId, otherId, now).ExecuteNonQueryAsync(ct);
        // Earlier tombstones of the other now point straight at the survivor: chains stay one hop long.
        await connection.Sql("update customers set merged_into = $1 where merged_into = $2", survivorId, otherId).ExecuteNonQueryAsync(ct);

        await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = survivorId,
            Type = TimelineEventTypes.CustomerMerged,
            Direction = Direction.Internal,
            OccurredAt = now,
            DedupeKey = $"merge:{otherId}",
            Data = new JsonObject
            {
                ["mergedCustomerId"] = otherId.ToString(),
                ["by"] = actor,
                ["eventsMoved"] = eventsMoved,
                ["identitiesMoved"] = identitiesMoved,
                ["conversationsMoved"] = conversationsMoved,
                ["conversationsFolded"] = folded.Count,
            },
        }, now, ct);
        await tx.CommitAsync(ct);
        LogMerged(otherId, survivorId, eventsMoved);
        return new MergeOutcome.Merged((await GetAsync(connection, survivorId, ct))!, eventsMoved, identitiesMoved, conversationsMoved);
    }

    /// <summary>
    /// Links a non-phone identity (a Telegram user who shared their own number) to the customer who has that
    /// E.164 number on sms, whatsapp or voice, by merging the identity's customer into the phone customer
    /// through <see cref="MergeAsync"/> (so <c>customer.merged</c> is recorded and concurrent traffic is safe).
    /// Null when there is nothing to link: no such identity, or no customer with that number.
    /// </summary>
    public async Task<MergeOutcome?> LinkToPhoneCustomerAsync(Channel channel, string address, string e164, string actor, CancellationToken ct)
    {
        if (channel.IsPhone()) throw new ArgumentException("Phone identities are linked by their number already.", nameof(channel));
        // A merge elsewhere can move either side between our read and the merge: read again and retry.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Guid identityCustomer, phoneCustomer;
            await using (var connection = await db.OpenConnectionAsync(ct))
            {
                if (await FindOnChannelAsync(connection, channel, address, ct) is not { } own) return null;
                await using var phone = connection.Sql("""
                    select customer_id from customer_identities where address = $1 and channel = any($2) order by created_at limit 1
                    """, e164, ChannelNames.PhoneChannelNames);
                if (await phone.ExecuteScalarAsync(ct) is not Guid phoneOwner) return null;
                identityCustomer = await SurvivorAsync(connection, own, ct) ?? own;
                phoneCustomer = await SurvivorAsync(connection, phoneOwner, ct) ?? phoneOwner;
            }

            if (identityCustomer == phoneCustomer)
                return new MergeOutcome.AlreadyMerged((await GetAsync(phoneCustomer, ct))!);
            var outcome = await MergeAsync(phoneCustomer, identityCustomer, actor, ct);
            if (outcome is not MergeOutcome.Refused) return outcome;
        }

        return new MergeOutcome.Refused("The customers kept changing under concurrent merges; try again.");
    }

    /// <summary>
    /// Gives a customer an identity someone vouched for (a website's signed-in user on web chat): claimed when nobody
    /// has it, else its holder is merged into the customer (<see cref="MergeAsync"/>). Null when it was theirs already.
    /// </summary>
    public async Task<MergeOutcome?> LinkIdentityAsync(Guid customerId, Channel channel, string address, string actor, CancellationToken ct)
    {
        Guid survivor, holder;
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            survivor = await LockSurvivorAsync(connection, customerId, ct);
            holder = await ClaimIdentityAsync(connection, survivor, channel, address, clock.GetUtcNow(), ct);
            await tx.CommitAsync(ct);
        }

        return holder == survivor ? null : await MergeAsync(survivor, holder, actor, ct);
    }

    /// <summary>The (surviving) customer an e-mail address names: an email identity, else the profile's e-mail.</summary>
    public async Task<Guid?> FindByEmailAsync(string email, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select coalesce(
                (select customer_id from customer_identities where channel = 'email' and address = $1),
                (select id from customers where lower(email) = $1 and merged_into is null order by created_at limit 1))
            """, email.Trim().ToLowerInvariant());
        return await command.ExecuteScalarAsync(ct) is Guid id ? await SurvivorAsync(connection, id, ct) : null;
    }

    /// <summary>The (surviving) customer who has the E.164 number on a phone channel.</summary>
    public async Task<Guid?> FindByPhoneAsync(string e164, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            "select customer_id from customer_identities where address = $1 and channel = any($2) order by created_at limit 1",
            e164, ChannelNames.PhoneChannelNames);
        return await command.ExecuteScalarAsync(ct) is Guid id ? await SurvivorAsync(connection, id, ct) : null;
    }

    /// <summary>
    /// Records a customer's opt-out (STOP, a block) or opt-in (START) on one channel. Returns false when it
    /// was already in that state, so repeated keywords write one timeline event.
    /// </summary>
    public async Task<bool> SetOptOutAsync(
        Channel channel, string address, bool optedOut, string reason, Guid? conversationId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Lock the customer before the identity row: a merge locks customers first, then identities.
        if (await FindOnChannelAsync(connection, channel, address, ct) is not { } customerId) return false;
        var survivor = await LockSurvivorAsync(connection, customerId, ct);
        if (!await ApplyOptOutAsync(connection, survivor, channel, address, optedOut, reason, conversationId, now, ct)) return false;
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Inside the caller's transaction, with <paramref name="survivor"/> already locked: records the new consent
    /// state on the identity and on the timeline. False when it was already in that state.
    /// </summary>
    internal async Task<bool> ApplyOptOutAsync(NpgsqlConnection connection, Guid survivor, Channel channel, string address,
        bool optedOut, string reason, Guid? conversationId, DateTimeOffset now, CancellationToken ct)
    {
        await using var update = connection.Sql("""
            update customer_identities set opted_out = $3, opted_out_at = case when $3 then $4 else null end
            where channel = $1 and address = $2 and opted_out <> $3
            """, channel.ToName(), address, optedOut, now);
        if (await update.ExecuteNonQueryAsync(ct) == 0) return false;
        await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = survivor,
            ConversationId = conversationId,
            Channel = channel,
            Type = optedOut ? TimelineEventTypes.CustomerOptedOut : TimelineEventTypes.CustomerOptedIn,
            Direction = Direction.Internal,
            OccurredAt = now,
            Data = new JsonObject { ["reason"] = reason },
        }, now, ct);
        LogOptOut(channel.ToName(), Redact.Address(address), optedOut);
        return true;
    }

    /// <summary>
    /// Inside the caller's transaction, with the customer locked: gives the customer the (normalized) identity
    /// when nobody has it. Returns the customer who has it now, which is someone else when it was taken.
    /// </summary>
    internal static async Task<Guid> ClaimIdentityAsync(NpgsqlConnection connection, Guid customerId, Channel channel, string address,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var claim = connection.Sql("""
            insert into customer_identities (channel, address, customer_id, created_at) values ($1, $2, $3, $4)
            on conflict do nothing
            """, channel.ToName(), address, customerId, now);
        if (await claim.ExecuteNonQueryAsync(ct) > 0) return customerId;
        var owner = (await FindOnChannelAsync(connection, channel, address, ct))!.Value;
        return await LockSurvivorAsync(connection, owner, ct);
    }

    public async Task<bool> IsOptedOutAsync(Channel channel, string address, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("select opted_out from customer_identities where channel = $1 and address = $2",
            channel.ToName(), address);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "New customer from {Channel} address {Address}")]
    private partial void LogCreated(string channel, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Customer {Other} merged into {Survivor}; {Events} events moved")]
    private partial void LogMerged(Guid other, Guid survivor, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Channel} address {Address} opted out: {OptedOut}")]
    private partial void LogOptOut(string channel, string address, bool optedOut);
}
