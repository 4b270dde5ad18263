using System.Text.Json.Nodes;

namespace ContactCenter.Core.Work;

/// <summary>
/// Work a handler causes, written in the same transaction as its cause (or returned by a handler and written
/// when its item completes). Items with the same <see cref="OrderingKey"/> run one at a time, in order.
/// </summary>
public sealed record NewWork(string Kind, string OrderingKey, DateTimeOffset? DueAt = null, JsonObject? Payload = null, Guid? ConversationId = null)
{
    /// <summary>Work ordered with everything else of one conversation.</summary>
    public static NewWork ForConversation(string kind, Guid conversationId, DateTimeOffset? dueAt = null, JsonObject? payload = null) =>
        new(kind, conversationId.ToString(), dueAt, payload, conversationId);
}

/// <summary>A claimed item as its handler sees it; <see cref="TraceParent"/>: the trace of the work that wrote it;
/// <see cref="Event"/>: the timeline event of <see cref="EventId"/>, read with the claim (null: not read, or gone).</summary>
public sealed record WorkItem(
    long Id, string Kind, string OrderingKey, int Attempts, Guid? ConversationId, long? EventId, JsonObject Payload, DateTimeOffset DueAt,
    string? TraceParent = null, Timeline.TimelineEvent? Event = null);

/// <summary>An item as admins see it (<c>GET /api/admin/work</c>).</summary>
public sealed record WorkListing(
    long Id, string Kind, string OrderingKey, string Status, int Attempts, Guid? ConversationId, long? EventId,
    DateTimeOffset DueAt, DateTimeOffset CreatedAt, string? LastError);

public static class WorkStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Parked = "parked";

    public static bool IsKnown(string? status) => status is Pending or Running or Parked;
}

/// <summary>
/// A handler of one kind of work. It takes its dependencies in its constructor, must be idempotent (an item runs
/// at least once: a crash after the handler's commit runs it again) and returns the follow-up work it causes,
/// which the pipeline writes in the same transaction that marks the item done.
/// </summary>
public interface IWorkHandler
{
    string Kind { get; }

    Task<IReadOnlyList<NewWork>> RunAsync(WorkItem item, CancellationToken ct);
}
