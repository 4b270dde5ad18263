using System.Text.Json.Nodes;
using ContactCenter.Channels.Webchat;
using ContactCenter.Core.Bot;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Inbound;
using ContactCenter.Core.Outbound;
using ContactCenter.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Server.Api;

public sealed record WebchatUserRequest(string? UserId, string? Email, string? Name, string? Phone, string? UserHash);

public sealed record WebchatSessionRequest(string? WidgetId, string? Language, WebchatUserRequest? User);

public sealed record WebchatPreChatRequest(string? Name, string? Email, string? Topic);

public sealed record WebchatChoiceRequest(string? Id, string? Title);

public sealed record WebchatMessageRequest(string? Text, WebchatChoiceRequest? Choice, string? ClientId);

public sealed record WebchatReadRequest(long? EventId);

public sealed record WebchatOfflineRequest(string? Email, string? Text, string? ClientId);

public sealed record WebchatTopicView(string Id, string Title);

public sealed record WebchatPreChatView(bool Enabled, bool AskName, bool AskEmail, IReadOnlyList<WebchatTopicView> Topics, bool Done);

/// <summary>What the widget needs when it opens: who it is talking as, the form to show, where the conversation stands.</summary>
public sealed record WebchatSessionView(
    Guid VisitorId, string WidgetId, bool Verified, bool Linked, string? Name, WebchatPreChatView PreChat, VisitorState State, string? Token = null);

public sealed record WebchatMessageAccepted(long EventId, Guid? ConversationId, bool Duplicate);

/// <summary>
/// The visitor API of the website widget, under <c>/webchat</c>: sessions (origin-checked per widget), messages in,
/// the live stream out (<see cref="WebchatStream"/>), typing and read marks. A visitor proves who they are with the
/// token from <c>POST /webchat/sessions</c> in the <c>X-Webchat-Token</c> header; it reads only its own conversations.
/// </summary>
public static class WebchatApi
{
    public static IEndpointRouteBuilder MapWebchatApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/webchat/widget.js", WebchatStream.WidgetScript).AllowAnonymous().ExcludeFromDescription();
        var chat = app.MapGroup("/webchat").WithTags("Web chat").AllowAnonymous()
            .RequireCors(WebchatHosting.CorsPolicy).RequireRateLimiting(WebchatHosting.VisitorRateLimit);
        chat.MapPost("/sessions", StartAsync).WithSummary("Start a visitor session for a widget (the page's origin must be one of the widget's); answers the token once");
        chat.MapGet("/session", SessionAsync).WithSummary("The visitor's session: widget, pre-chat form, where the conversation stands");
        chat.MapPost("/prechat", PreChatAsync).WithSummary("The pre-chat form's answers: name, email, topic (picks the queue)");
        chat.MapGet("/messages", MessagesAsync).WithSummary("The visitor's chat after an event id (0: from the start)");
        chat.MapPost("/messages", SendAsync).WithSummary("The visitor writes (text, or a bot button's choice); 'clientId' makes a retry count once");
        chat.MapGet("/stream", WebchatStream.StreamAsync).WithSummary("Server-sent events: 'message' per chat event (id = event id, resumes from Last-Event-ID), 'typing', 'ping'");
        chat.MapPost("/typing", TypingAsync).WithSummary("Tell the agent's desk the visitor is typing (nothing is stored)");
        chat.MapPost("/read", ReadAsync).WithSummary("The visitor has seen the chat up to an event: the agents' messages until then are read");
        chat.MapPost("/offline", OfflineAsync).WithSummary("Nobody is online: leave a message and an e-mail address; it waits in the queue for the next agent");
        chat.MapGet("/state", StateAsync).WithSummary("Where the conversation stands: status, place in line, expected wait, online");
        return app;
    }

    /// <summary>The session behind the request's token, refused when the page's origin is not one of its widget's.</summary>
    internal static async Task<(Visitor? Visitor, ProblemHttpResult? Refused)> VisitorAsync(
        HttpContext http, VisitorStore visitors, WebchatOptions options, CancellationToken ct)
    {
        var visitor = await visitors.AuthenticateAsync(http.Request.Headers[WebchatHosting.TokenHeader].ToString(), ct);
        if (visitor is null)
            return (null, TypedResults.Problem($"Send the visitor token from POST /webchat/sessions in {WebchatHosting.TokenHeader}.", statusCode: 401, title: "Unknown visitor"));
        if (OriginRefused(http, options.Widget(visitor.Widget)) is { } refused) return (null, refused);
        return (visitor, null);
    }

    private static ProblemHttpResult? OriginRefused(HttpContext http, WidgetOptions? widget)
    {
        // Browsers always send Origin on cross-origin calls and POSTs; a page elsewhere may not use the widget.
        var origin = http.Request.Headers.Origin.ToString();
        if (widget is null) return TypedResults.Problem("This widget is not configured (Webchat:Widgets).", statusCode: 404, title: "Unknown widget");
        return widget.Allows(origin) ? null : TypedResults.Problem("Pages on this origin may not use this chat widget.", statusCode: 403, title: "Origin not allowed");
    }

    private static async Task<Results<Created<WebchatSessionView>, ProblemHttpResult>> StartAsync(
        WebchatSessionRequest? request, HttpContext http, VisitorStore visitors, VisitorIdentity identity, VisitorTimeline timeline,
        WebchatPresence presence, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        if (!WidgetIds.IsValid(request?.WidgetId)) return Problems.BadRequest("Body must name the 'widgetId' (the script tag's data-widget).");
        var widget = options.CurrentValue.Widget(request!.WidgetId);
        if (OriginRefused(http, widget) is { } refused) return refused;
        var language = request.Language is { Length: >= 2 and <= 12 } l && l.All(c => char.IsAsciiLetter(c) || c == '-') ? l : null;

        var address = VisitorStore.AnonymousAddress();
        var verified = false;
        string? name = null;
        if (request.User is { } user)
        {
            if (string.IsNullOrWhiteSpace(user.UserId) || user.UserId.Length > 200 || string.IsNullOrWhiteSpace(user.UserHash))
                return Problems.BadRequest("'user' needs 'userId' (at most 200 characters) and 'userHash'.");
            if (!identity.Verify(user.UserId, user.UserHash))
                return TypedResults.Problem("'userHash' is not HMAC-SHA256 of 'userId' with this service's identity secret; nobody was linked.",
                    statusCode: 403, title: "Identity not verified");
            address = VisitorStore.UserAddress(user.UserId);
            verified = true;
            name = user.Name is { Length: > 0 and <= 200 } n ? n.Trim() : null;
        }

        var vouched = verified ? new VisitorUser(request.User!.UserId!, request.User.Email, name, request.User.Phone, request.User.UserHash!) : null;
        var (visitor, token) = await visitors.StartAsync(
            new NewVisitor(request.WidgetId!, address, verified, name, [], language, vouched is null ? null : identity.EmailOf(vouched)), ct);
        var linked = vouched is not null && await identity.LinkAsync(address, vouched, ct);
        // A returning (or just linked) user's customer exists already; a new one's is recorded with their first message.
        await identity.RecordEmailAsync(visitor, ct);
        var view = await ViewAsync(visitor, widget!, timeline, presence, ct) with { Linked = linked, Token = token };
        return TypedResults.Created("/webchat/session", view);
    }

    private static async Task<Results<Ok<WebchatSessionView>, ProblemHttpResult>> SessionAsync(
        HttpContext http, VisitorStore visitors, VisitorTimeline timeline, WebchatPresence presence, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        return TypedResults.Ok(await ViewAsync(visitor!, options.CurrentValue.Widget(visitor!.Widget)!, timeline, presence, ct));
    }

    private static async Task<WebchatSessionView> ViewAsync(Visitor visitor, WidgetOptions widget, VisitorTimeline timeline, WebchatPresence presence, CancellationToken ct)
    {
        var form = widget.PreChat;
        var preChat = new WebchatPreChatView(form.Enabled, form.AskName, form.AskEmail,
            form.Topics.Select(t => new WebchatTopicView(t.Id, t.Title)).ToList(), Done: visitor.PreChat.Count > 0 || visitor.Verified);
        return new WebchatSessionView(visitor.Id, visitor.Widget, visitor.Verified, false, visitor.Name, preChat,
            await presence.StateAsync(visitor, widget, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> PreChatAsync(
        WebchatPreChatRequest? request, HttpContext http, VisitorStore visitors, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        if (request is null) return Problems.BadRequest("Body must have the form's 'name', 'email' and/or 'topic'.");
        var widget = options.CurrentValue.Widget(visitor!.Widget)!;
        if (request.Name is { Length: > 200 }) return Problems.BadRequest("'name' is longer than 200 characters.");
        var email = request.Email?.Trim();
        if (email is { Length: > 0 } && (email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
            return Problems.BadRequest("'email' is not an e-mail address.");
        if (request.Topic is { } topic && widget.PreChat.Topics.All(t => t.Id != topic))
            return Problems.BadRequest($"'topic' must be one of: {string.Join(", ", widget.PreChat.Topics.Select(t => t.Id))}.");
        // Kept as the visitor's own words: an e-mail typed here is shown to agents but never links a customer.
        var answers = new JsonObject { ["name"] = request.Name?.Trim(), ["email"] = email, ["topic"] = request.Topic, ["filled"] = true };
        await visitors.SavePreChatAsync(visitor.Id, string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim(), answers, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<IReadOnlyList<VisitorEvent>>, ProblemHttpResult>> MessagesAsync(
        long? after, HttpContext http, VisitorStore visitors, VisitorTimeline timeline, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        if (after < 0) return Problems.BadRequest("Query 'after' must be an event id (0 or more).");
        return TypedResults.Ok(await timeline.ReadAsync(visitor!.Address, after ?? 0, 500, ct));
    }

    private static async Task<Results<Ok<WebchatMessageAccepted>, ProblemHttpResult>> SendAsync(
        WebchatMessageRequest? request, HttpContext http, VisitorStore visitors, Core.Inbound.Inbox inbox, VisitorIdentity identity,
        TimeProvider clock, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var (visitor, refused) = await VisitorAsync(http, visitors, settings, ct);
        if (refused is not null) return refused;
        if (request?.ClientId is not { Length: > 0 and <= 64 } clientId) return Problems.BadRequest("Body must have a 'clientId' (1–64 characters, unique per message).");
        var text = request.Text?.Trim();
        var choice = request.Choice;
        if (choice is not null && (choice.Id is not { Length: > 0 and <= 100 } || choice.Title is { Length: > 200 }))
            return Problems.BadRequest("'choice' needs the button's 'id' (at most 100 characters) and its 'title'.");
        if (string.IsNullOrEmpty(text) && choice is null) return Problems.BadRequest("Body must have 'text' or a 'choice'.");
        if (text?.Length > settings.MaxMessageLength)
            return TypedResults.Problem($"A message is at most {settings.MaxMessageLength} characters.", statusCode: 413, title: "Message too long");

        JsonObject? button = choice is null ? null : new JsonObject { ["choice"] = new JsonObject { ["id"] = choice.Id, ["title"] = choice.Title } };
        // The pre-chat topic's queue is where the bot hands off to, too.
        if (settings.Widget(visitor!.Widget)?.QueueFor(visitor.PreChat["topic"]?.GetValue<string>()) is { } queue) (button ??= [])["routeQueue"] = queue;
        var result = await inbox.ReceiveAsync(Message(visitor, clientId, string.IsNullOrEmpty(text) ? choice!.Title ?? choice.Id! : text, clock, button), ct);
        if (result.ConversationOpened) await identity.RecordEmailAsync(visitor, ct);
        return TypedResults.Ok(new WebchatMessageAccepted(result.EventId, result.ConversationId, result.Duplicate));
    }

    private static async Task<Results<Ok<WebchatMessageAccepted>, ProblemHttpResult>> OfflineAsync(
        WebchatOfflineRequest? request, HttpContext http, VisitorStore visitors, Core.Inbound.Inbox inbox, TimeProvider clock,
        IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var (visitor, refused) = await VisitorAsync(http, visitors, settings, ct);
        if (refused is not null) return refused;
        var email = request?.Email?.Trim();
        if (email is not { Length: > 0 and <= 254 } || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
            return Problems.BadRequest("'email' must be the e-mail address the answer goes to.");
        if (request!.ClientId is not { Length: > 0 and <= 64 } clientId) return Problems.BadRequest("Body must have a 'clientId' (1–64 characters).");
        var text = request.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return Problems.BadRequest("Body must have the message's 'text'.");
        if (text.Length > settings.MaxMessageLength)
            return TypedResults.Problem($"A message is at most {settings.MaxMessageLength} characters.", statusCode: 413, title: "Message too long");
        // The address is the visitor's own words (shown to the agent), never a link to a customer.
        var result = await inbox.ReceiveAsync(Message(visitor!, $"offline:{clientId}", text, clock,
            new JsonObject { ["offline"] = true, ["replyTo"] = email }), ct);
        return TypedResults.Ok(new WebchatMessageAccepted(result.EventId, result.ConversationId, result.Duplicate));
    }

    private static InboundEvent Message(Visitor visitor, string clientId, string text, TimeProvider clock, JsonObject? extra = null)
    {
        var data = new JsonObject { ["visitorId"] = visitor.Id.ToString(), ["widget"] = visitor.Widget };
        if (visitor.PreChat.Count > 0) data["preChat"] = visitor.PreChat.DeepClone();
        foreach (var (key, value) in extra ?? []) data[key] = value?.DeepClone();
        return new InboundEvent
        {
            Channel = Channel.Webchat,
            Address = visitor.Address,
            Provider = "webchat",
            ProviderEventId = $"{visitor.Id:N}:{clientId}",
            OccurredAt = clock.GetUtcNow(),
            Text = text,
            Data = data,
            CompanyAddress = visitor.Widget,
            CustomerName = visitor.Name,
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> TypingAsync(
        HttpContext http, VisitorStore visitors, VisitorTimeline timeline, NpgsqlDataSource db, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        if (await timeline.CurrentAsync(visitor!.Address, ct) is { Closed: false } conversation)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            // The desk shows typing per "agentId": the customer is one more typer on the conversation.
            await DeskSignals.NotifyAsync(connection, new JsonObject
            {
                ["type"] = "typing", ["conversationId"] = conversation.Id.ToString(), ["agentId"] = "customer", ["customer"] = true,
                ["name"] = visitor.Name ?? "The visitor",
            }, ct);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReadAsync(
        WebchatReadRequest? request, HttpContext http, VisitorStore visitors, WebchatReads reads, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        if (request?.EventId is not { } eventId || eventId < 1) return Problems.BadRequest("Body must have the 'eventId' seen up to.");
        await reads.MarkReadAsync(visitor!.Address, eventId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<VisitorState>, ProblemHttpResult>> StateAsync(
        HttpContext http, VisitorStore visitors, WebchatPresence presence, IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        return TypedResults.Ok(await presence.StateAsync(visitor!, options.CurrentValue.Widget(visitor!.Widget)!, ct));
    }
}
