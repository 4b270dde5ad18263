using ContactCenter.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ContactCenter.Core.Conversations;

/// <summary>
/// What an agent may see: the conversations assigned to them and the ones waiting (open, unassigned) in a queue
/// they work, and the customers behind those. Supervisors, admins (and keys configured to see everything) have
/// no scope: null stands for "all".
/// </summary>
public sealed record AccessScope(string? AgentId, IReadOnlyList<string> Queues)
{
    /// <summary>The rule as SQL over <c>conversations c</c>, with <see cref="AddParameters"/> supplying its values.</summary>
    public const string Predicate =
        "(c.assignee = @scope_agent or (c.assignee is null and c.closed_at is null and c.queue = any(@scope_queues)))";

    public void AddParameters(NpgsqlParameterCollection parameters)
    {
        parameters.Add(new NpgsqlParameter("scope_agent", NpgsqlDbType.Text) { Value = (object?)AgentId ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("scope_queues", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Queues.ToArray() });
    }

    /// <summary>The same rule over one change the desk feed announces (the conversation's assignee, queue and status then).</summary>
    public bool Allows(string? assignee, string? queue, string? status) =>
        (assignee is not null && assignee == AgentId)
        || (assignee is null && queue is not null && status is not (ConversationStatus.Resolved or ConversationStatus.Merged) && Queues.Contains(queue));
}

/// <summary>Answers "may this agent see this conversation / customer" with one query each (404 otherwise).</summary>
public sealed class ConversationVisibility(NpgsqlDataSource db)
{
    public async Task<bool> ConversationAsync(AccessScope scope, Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"select exists (select 1 from conversations c where c.id = @id and {AccessScope.Predicate})", connection);
        command.Parameters.Add(new NpgsqlParameter("id", conversationId));
        scope.AddParameters(command.Parameters);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<bool> CustomerAsync(AccessScope scope, Guid customerId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select exists (select 1 from conversations c where c.customer_id = @id and {AccessScope.Predicate})", connection);
        command.Parameters.Add(new NpgsqlParameter("id", customerId));
        scope.AddParameters(command.Parameters);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }
}
