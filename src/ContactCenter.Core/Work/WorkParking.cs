using System.Text.Json.Nodes;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Customers;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Work;

/// <summary>A parked item shows on the timeline of what it was about (<c>work.parked</c>), never silently dropped.</summary>
public sealed class WorkParking(NpgsqlDataSource db, TimelineStore timeline, TimeProvider clock)
{
    public async Task RecordAsync(WorkItem item, Exception error, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid customerId;
        Guid? conversationId = null;
        Channels.Channel? channel = null;
        if (item.ConversationId is { } id && await ConversationStore.LockForAppendAsync(connection, id, ct) is { } target)
        {
            (customerId, conversationId, channel) = (target.CustomerId, target.ConversationId, target.Channel);
        }
        else if (item.EventId is { } eventId && await timeline.GetAsync(eventId, ct) is { } cause)
        {
            customerId = await CustomerStore.LockSurvivorAsync(connection, cause.CustomerId, ct);
        }
        else
        {
            return; // about nothing on a timeline: the admin listing is where it shows
        }

        await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = customerId,
            ConversationId = conversationId,
            Channel = channel,
            Type = TimelineEventTypes.WorkParked,
            Direction = Direction.Internal,
            OccurredAt = now,
            DedupeKey = $"work-parked:{item.Id}:{item.Attempts}",
            // The exception's type only: messages can carry customer data, and admins read the full error in the API.
            Data = new JsonObject { ["workId"] = item.Id, ["kind"] = item.Kind, ["attempts"] = item.Attempts, ["error"] = error.GetType().Name, ["eventId"] = item.EventId },
        }, now, ct);
        await tx.CommitAsync(ct);
    }
}
