using ContactCenter.Core.Conversations;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>
/// A conversation an agent opens themselves (an email to a customer) is theirs from the start: otherwise it would sit
/// open and unassigned, and a scoped agent could not even read the answer to their own mail. Unlike routing's
/// assignment, no status or capacity check: a person chose to write, away or not; the conversation counts in their
/// load like any other.
/// </summary>
public sealed class AgentStartedConversations(NpgsqlDataSource db, RoutingEngine engine, TimeProvider clock)
{
    /// <summary>Assigns the just-opened conversation to <paramref name="agentId"/>; false when it is closed or already someone's.</summary>
    public async Task<bool> OwnAsync(Guid conversationId, string agentId, string by, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await QueueEntries.LockConversationAsync(connection, conversationId, ct) is not { IsOpen: true, Assignee: null } conversation) return false;
        await QueueEntries.RemoveAsync(connection, conversation.Id, ct);
        await engine.AssignInTxAsync(connection, conversation, agentId, conversation.Queue, by, clock.GetUtcNow().ToMicroseconds(), ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
