using ContactCenter.Core.Channels;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Outbound;

/// <summary>
/// The provider ids the outbox has recorded, read for senders: a retry that finds a message at its provider
/// can tell its own earlier attempt from another message of ours with the same text.
/// </summary>
public sealed class ProviderMessageIds(NpgsqlDataSource db)
{
    /// <summary>True when <paramref name="providerMessageId"/> is recorded for a message other than <paramref name="messageId"/>.</summary>
    public async Task<bool> BelongsToAnotherAsync(Guid messageId, Channel channel, string providerMessageId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(
            "select exists (select 1 from outbound_messages where channel = $1 and provider_message_id = $2 and id <> $3)",
            channel.ToName(), providerMessageId, messageId);
        return await command.ExecuteScalarAsync(ct) is true;
    }
}
