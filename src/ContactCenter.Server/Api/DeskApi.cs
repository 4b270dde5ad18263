using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Conversations;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Outbound;
using ContactCenter.Core.Routing;
using ContactCenter.Server.Auth;
using ContactCenter.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Api;

public sealed record HeartbeatRequest(Guid? SessionId, Guid? ConversationId);

public sealed record TypingRequest(Guid? ConversationId);

public sealed record ReadRequest(long? EventId);

/// <summary>The signed-in agent as the desk shows them: status, live load, and how often the page must beat.</summary>
public sealed record DeskMe(string Name, string Role, string? AgentId, Agent? Agent, double AwayAfterSeconds, double HeartbeatSeconds);

public sealed record TemplateView(string Name, string ContentSid, string Language, string Body, IReadOnlyList<string> Variables);

/// <summary>What the composer needs before the agent types: the channel's rules, templates when only they may go, the owner.</summary>
public sealed record ReplyRulesAnswer(ReplyRulesView Rules, IReadOnlyList<TemplateView> Templates, string? Assignee, int MaxLength);

/// <summary>
/// The agent desk's own calls: the inbox, its live stream (server-sent events from the PostgreSQL change feed),
/// heartbeats and presence, typing, read marks, and the reply rules the composer shows.
/// </summary>
public static class DeskApi
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapDeskApi(this IEndpointRouteBuilder app)
    {
        var desk = app.MapGroup("/api/desk").WithTags("Desk").RequireAuthorization(Policies.Agent);
        desk.MapGet("/inbox", InboxAsync)
            .WithSummary("Assigned to me, waiting in my queues (agents may pick), notes mentioning me; due clock first; unread counts; filters channel, status, queue, tag");
        desk.MapGet("/live", (ClaimsPrincipal user, LiveFeed feed, ConversationVisibility visibility, CancellationToken ct) =>
                TypedResults.ServerSentEvents(StreamAsync(feed, user.ScopeOf(), visibility, ct)))
            .WithSummary("Server-sent events: 'hello', then 'change' for every timeline event, presence, typing and routing change; 'ping' when quiet");
        desk.MapGet("/me", MeAsync).WithSummary("The signed-in agent: status, capacity and load; the desk's heartbeat settings");
        desk.MapPost("/heartbeat", HeartbeatAsync).WithSummary("The desk page is open (and shows this conversation); without it for Desk:AwayAfter the agent becomes away");
        desk.MapPost("/leave", LeaveAsync).WithSummary("The desk page closes");
        desk.MapPost("/typing", TypingAsync).WithSummary("Tell the other desks on the conversation that I am typing");

        var conversations = app.MapGroup("/api/conversations").WithTags("Desk").RequireAuthorization(Policies.Agent);
        conversations.MapGet("/{id:guid}/viewers", ViewersAsync).WithSummary("Agents whose desk shows the conversation now");
        conversations.MapPost("/{id:guid}/read", ReadAsync).WithSummary("Mark the conversation read up to a timeline event");
        conversations.MapGet("/{id:guid}/reply-rules", RulesAsync)
            .WithSummary("The channel's rules for the next reply: window, templates, HUMAN_AGENT, opt-out");
        return app;
    }

    internal static InboxViewer Viewer(this ClaimsPrincipal user) =>
        new(user.FindFirstValue(Roles.AgentIdClaim), user.IsSupervisor(), user.ScopeOf()?.Queues);

    private static async Task<Results<Ok<Inbox>, ProblemHttpResult>> InboxAsync(
        string? channel, string? status, string? queue, string? tag, ClaimsPrincipal user, DeskInbox inbox, CancellationToken ct)
    {
        if (channel is not null && !ChannelNames.TryParse(channel, out _))
            return Problems.BadRequest($"Query 'channel' must be one of: {string.Join(", ", ChannelNames.All.Select(c => c.ToName()))}.");
        if (status is not null && !ConversationStatus.All.Contains(status))
            return Problems.BadRequest($"Query 'status' must be one of: {string.Join(", ", ConversationStatus.All)}.");
        var normalizedTag = tag is null ? null : TagStore.Normalize(tag);
        if (tag is not null && normalizedTag is null) return Problems.BadRequest("Query 'tag' is not a tag.");
        return TypedResults.Ok(await inbox.LoadAsync(user.Viewer(), new InboxFilter(channel, status, queue, normalizedTag), ct));
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        LiveFeed feed, AccessScope? scope, ConversationVisibility visibility, [EnumeratorCancellation] CancellationToken ct)
    {
        var (id, changes) = feed.Subscribe(desk: true);
        try
        {
            // The page loads its inbox when it hears this: subscribed first, so nothing in between is missed.
            yield return new SseItem<string>(JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow }, JsonSerializerOptions.Web), "hello");
            while (!ct.IsCancellationRequested)
            {
                var change = await NextAsync(changes, ct);
                // A scoped agent hears only of conversations they may open.
                if (change is not null && scope is not null && !await ScopedAccess.MaySeeAsync(scope, change, visibility, ct)) continue;
                yield return change is null ? new SseItem<string>("{}", "ping") : new SseItem<string>(change, "change");
            }
        }
        finally
        {
            feed.Unsubscribe(id);
        }
    }

    /// <summary>The next change, or null after a quiet while (proxies close silent streams).</summary>
    private static async Task<string?> NextAsync(ChannelReader<string> changes, CancellationToken ct)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(Quiet);
        try
        {
            return await changes.ReadAsync(quiet.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<Ok<DeskMe>> MeAsync(ClaimsPrincipal user, AgentStore agents, IOptions<DeskOptions> options, CancellationToken ct)
    {
        var agentId = user.FindFirstValue(Roles.AgentIdClaim);
        var agent = agentId is null ? null : await agents.GetAsync(agentId, ct);
        return TypedResults.Ok(new DeskMe(user.Identity?.Name ?? "", user.FindFirstValue(ClaimTypes.Role) ?? "", agentId, agent,
            options.Value.AwayAfter.TotalSeconds, options.Value.HeartbeatInterval.TotalSeconds));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> HeartbeatAsync(
        HeartbeatRequest? request, ClaimsPrincipal user, DeskPresence presence, ConversationStore conversations, ConversationVisibility visibility,
        CancellationToken ct)
    {
        if (request?.SessionId is not { } session || session == Guid.Empty) return Problems.BadRequest("Body must have a 'sessionId' (a UUID the page picks).");
        if (user.FindFirstValue(Roles.AgentIdClaim) is not { } agentId) return TypedResults.NoContent();
        // Showing a conversation puts the agent on its viewers list: only one they may open (else 404, as for no such id).
        if (request.ConversationId is { } id
            && (await conversations.GetAsync(id, ct) is null || !await user.MaySeeConversationAsync(id, visibility, ct)))
            return Problems.NotFound($"No conversation {id}.");
        await presence.HeartbeatAsync(session, agentId, request.ConversationId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> LeaveAsync(
        HeartbeatRequest? request, ClaimsPrincipal user, DeskPresence presence, CancellationToken ct)
    {
        if (request?.SessionId is not { } session) return Problems.BadRequest("Body must have the page's 'sessionId'.");
        if (user.FindFirstValue(Roles.AgentIdClaim) is { } agentId) await presence.LeaveAsync(session, agentId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> TypingAsync(
        TypingRequest? request, ClaimsPrincipal user, DeskPresence presence, AgentStore agents, ConversationStore conversations,
        ConversationVisibility visibility, CancellationToken ct)
    {
        if (request?.ConversationId is not { } id) return Problems.BadRequest("Body must have a 'conversationId'.");
        // The signal reaches the customer's chat window: only for a conversation the agent may act on.
        if (await conversations.GetAsync(id, ct) is null || !await user.MaySeeConversationAsync(id, visibility, ct))
            return Problems.NotFound($"No conversation {id}.");
        // The same name the presence line shows: the agent's, else the key's.
        var agentId = user.FindFirstValue(Roles.AgentIdClaim);
        var name = (agentId is null ? null : (await agents.GetAsync(agentId, ct))?.Name) ?? user.Identity?.Name ?? user.Actor();
        await presence.TypingAsync(user.Actor(), name, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<IReadOnlyList<DeskViewer>>, ProblemHttpResult>> ViewersAsync(
        Guid id, ConversationStore conversations, DeskPresence presence, CancellationToken ct)
    {
        if (await conversations.GetAsync(id, ct) is null) return Problems.NotFound($"No conversation {id}.");
        return TypedResults.Ok(await presence.ViewersAsync(id, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReadAsync(
        Guid id, ReadRequest? request, ClaimsPrincipal user, ConversationStore conversations, DeskReads reads, CancellationToken ct)
    {
        if (request?.EventId is not { } eventId || eventId < 0) return Problems.BadRequest("Body must have the 'eventId' read up to.");
        if (await conversations.GetAsync(id, ct) is null) return Problems.NotFound($"No conversation {id}.");
        if (user.FindFirstValue(Roles.AgentIdClaim) is { } agentId) await reads.MarkReadAsync(agentId, id, eventId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ReplyRulesAnswer>, ProblemHttpResult>> RulesAsync(
        Guid id, ConversationStore conversations, ReplyRules rules, IOptions<DeskOptions> options, CancellationToken ct)
    {
        if (await conversations.GetAsync(id, ct) is not { } conversation || await rules.ForConversationAsync(id, ct) is not { } view)
            return Problems.NotFound($"No conversation {id}.");
        var templates = conversation.Channel == Core.Channels.Channel.WhatsApp
            ? options.Value.Templates.Where(t => !string.IsNullOrWhiteSpace(t.Value.ContentSid))
                .Select(t => new TemplateView(t.Key, t.Value.ContentSid, t.Value.Language, t.Value.Body, t.Value.Variables)).OrderBy(t => t.Name).ToList()
            : [];
        return TypedResults.Ok(new ReplyRulesAnswer(view, templates, conversation.Assignee, ConversationsApi.MaxTextLength));
    }
}
