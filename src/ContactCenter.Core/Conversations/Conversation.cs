using System.Text.Json.Nodes;
using ContactCenter.Core.Channels;

namespace ContactCenter.Core.Conversations;

/// <summary>One customer's exchange with the company on one channel, from its first message to resolution.</summary>
public sealed record Conversation(
    Guid Id,
    Guid CustomerId,
    Channel Channel,
    string Status,
    string? Queue,
    string? Assignee,
    int Priority,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    JsonObject? Handoff);

public static class ConversationStatus
{
    /// <summary>New and not yet with the bot or a queue.</summary>
    public const string Open = "open";
    public const string Bot = "bot";
    public const string Queued = "queued";
    public const string Assigned = "assigned";
    public const string Resolved = "resolved";
    /// <summary>Folded into another conversation of the same customer by a customer merge.</summary>
    public const string Merged = "merged";

    public static readonly IReadOnlySet<string> All = new HashSet<string>([Open, Bot, Queued, Assigned, Resolved, Merged]);
}

/// <summary>Where a conversation's messages go, and who it belongs to right now (after any merge).</summary>
public sealed record ConversationEndpoint(
    Guid ConversationId,
    Guid CustomerId,
    Channel Channel,
    string CustomerAddress,
    string? CompanyAddress,
    string Status);

/// <param name="Scope">An agent's <see cref="AccessScope"/>; null lists every conversation.</param>
public sealed record ConversationFilter(string? Status, string? Queue, string? Assignee, Guid? CustomerId, int Limit, AccessScope? Scope = null);

public abstract record StartOutcome
{
    public sealed record Started(Guid ConversationId, Guid CustomerId, bool Opened) : StartOutcome;
    public sealed record CustomerNotFound : StartOutcome;
    /// <summary>The address is another customer's identity.</summary>
    public sealed record AddressTaken(Guid OtherCustomerId) : StartOutcome;
}
