using System.Text.Json.Nodes;
using ContactCenter.Core.Timeline;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>Routing and response-target events on the conversation's timeline, in the caller's transaction.</summary>
internal static class RoutingTimeline
{
    public static async Task<long> AppendAsync(
        TimelineStore timeline, NpgsqlConnection connection, LockedConversation conversation, string type, JsonObject data,
        DateTimeOffset now, CancellationToken ct, string? dedupeKey = null)
    {
        var id = await timeline.AppendAsync(connection, new NewTimelineEvent
        {
            CustomerId = conversation.CustomerId,
            ConversationId = conversation.Id,
            Channel = conversation.Channel,
            Type = type,
            Direction = Direction.Internal,
            OccurredAt = now,
            DedupeKey = dedupeKey,
            Data = data,
        }, now, ct);
        // Only a repeated dedupe key answers null; callers that pass one check for it before appending.
        return id ?? 0;
    }
}
