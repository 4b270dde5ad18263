using ContactCenter.Core.Channels;
using ContactCenter.Core.Flows;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Bot;

internal static class BotFlows
{
    /// <summary>The bot flow serving the conversation: its company address's own (a mailbox's bot, <see cref="AddressBot"/>),
    /// else the channel's. Reads the conversation only when some address on the channel has a bot of its own.</summary>
    public static async Task<Flow?> ForConversationAsync(this FlowCatalog catalog, NpgsqlDataSource db, Guid conversationId, Channel channel,
        CancellationToken ct)
    {
        if (!catalog.HasAddressBots(channel)) return catalog.BotFor(channel);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("select company_address from conversations where id = $1", conversationId);
        return catalog.BotFor(channel, await command.ExecuteScalarAsync(ct) as string);
    }
}
