using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;

namespace ContactCenter.Core.Customers;

public sealed record CustomerIdentity(Channel Channel, string Address, bool OptedOut);

public sealed record Customer(
    Guid Id,
    string? Name,
    DateTimeOffset CreatedAt,
    IReadOnlyList<CustomerIdentity> Identities,
    IReadOnlyList<Conversation> OpenConversations,
    string? Email = null);

public abstract record MergeOutcome
{
    public sealed record Merged(Customer Customer, int EventsMoved, int IdentitiesMoved, int ConversationsMoved) : MergeOutcome;
    /// <summary>The other customer was already merged into this one: the request is a replay.</summary>
    public sealed record AlreadyMerged(Customer Customer) : MergeOutcome;
    public sealed record NotFound(Guid Id) : MergeOutcome;
    public sealed record Refused(string Detail) : MergeOutcome;
}
