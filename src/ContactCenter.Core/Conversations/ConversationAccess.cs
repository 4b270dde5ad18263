using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Conversations;

/// <summary>
/// Who acts on a conversation through the API: a person's name, the agent id of an agent key, and whether they
/// supervise (supervisors and admins may act on any conversation).
/// </summary>
public sealed record ConversationActor(string Name, string? AgentId, bool Supervises)
{
    /// <summary>What the timeline records as the actor: the agent id, else the key's name.</summary>
    public string Id => AgentId ?? Name;
}

/// <summary>The conversation belongs to another agent: the API answers 409 naming them.</summary>
public sealed record NotOwner(Guid ConversationId, string OwnerId, string? OwnerName)
{
    public const string Code = "not-owner";
    public const string Title = "Not your conversation";

    public string Detail =>
        $"Conversation {ConversationId} is assigned to agent {OwnerId}{(OwnerName is null ? "" : $" ({OwnerName})")}; "
        + "take it over first, or ask a supervisor.";
}

/// <summary>
/// The one rule for "may act on this conversation" (reply, resolve, transfer): an assigned conversation is its
/// assignee's, or a supervisor's; one assigned to nobody (with the bot, waiting in a queue) may be handled by any
/// agent, as it may be enqueued or taken by any agent. Taking it from its owner is an explicit takeover.
/// </summary>
public static class ConversationAccess
{
    /// <summary>Null when <paramref name="actor"/> may act; checked in the caller's transaction, under its lock.</summary>
    public static async Task<NotOwner?> CheckAsync(
        NpgsqlConnection connection, Guid conversationId, string? assignee, ConversationActor actor, CancellationToken ct)
    {
        if (actor.Supervises || assignee is null || assignee == actor.AgentId) return null;
        await using var command = connection.Sql("select name from agents where id = $1", assignee);
        return new NotOwner(conversationId, assignee, await command.ExecuteScalarAsync(ct) as string);
    }

    /// <summary>The assignee, read with a share lock so a transfer cannot move it while the caller acts.</summary>
    internal static async Task<string?> AssigneeForShareAsync(NpgsqlConnection connection, Guid conversationId, CancellationToken ct)
    {
        await using var command = connection.Sql("select assignee from conversations where id = $1 for share", conversationId);
        return await command.ExecuteScalarAsync(ct) as string;
    }
}
