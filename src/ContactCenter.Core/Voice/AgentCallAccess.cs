using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Voice;

/// <summary>The conversation an agent's own call to a number goes on, and the customer it reaches.</summary>
public sealed record CallableCustomer(Guid CustomerId, Guid ConversationId);

/// <summary>
/// Whom an agent may call from the softphone: a customer with an open conversation the agent may act on — assigned
/// to them, or open and assigned to nobody (the rule of <see cref="Conversations.ConversationAccess"/>). The number
/// must be one of that customer's addresses (voice, SMS or WhatsApp). Another agent's customer, or a number that is
/// no customer's, is refused: the softphone is not an open line to anywhere on the company's caller id.
/// </summary>
public sealed class AgentCallAccess(NpgsqlDataSource db)
{
    /// <returns>The conversation the call is recorded on (the agent's own first, a voice one first, the newest), or null.</returns>
    public async Task<CallableCustomer?> FindAsync(string agentId, string number, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select c.customer_id, c.id
            from customer_identities i
            join conversations c on c.customer_id = i.customer_id and c.closed_at is null and c.merged_into is null
            where i.address = $1 and (c.assignee = $2 or c.assignee is null)
            order by c.assignee is not null desc, c.channel = 'voice' desc, c.opened_at desc
            limit 1
            """, number, agentId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new CallableCustomer(reader.GetGuid(0), reader.GetGuid(1)) : null;
    }
}
