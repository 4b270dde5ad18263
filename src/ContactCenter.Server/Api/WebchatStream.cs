using System.Net.ServerSentEvents;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ContactCenter.Channels.Webchat;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Api;

/// <summary>
/// The widget's live stream and its script. The stream sends the visitor's chat events the browser has not seen
/// (from <c>Last-Event-ID</c> on a reconnect, or <c>?after=</c>, an event id), then waits for the change feed:
/// whichever instance stored an event, every instance's listener wakes the connections of that visitor, and each
/// reads from its own cursor. The cursor is a database snapshot (<see cref="StreamCursor"/>), sent as the SSE id of
/// the last event of each read, so a drop and a reconnect lose nothing and repeat nothing, whatever order writers commit in.
/// </summary>
public static class WebchatStream
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(15);

    internal static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> StreamAsync(
        long? after, HttpContext http, VisitorStore visitors, VisitorTimeline timeline, WebchatFeed feed,
        IOptionsMonitor<WebchatOptions> options, CancellationToken ct)
    {
        var (visitor, refused) = await WebchatApi.VisitorAsync(http, visitors, options.CurrentValue, ct);
        if (refused is not null) return refused;
        if (after < 0) return Problems.BadRequest("Query 'after' must be an event id (0 or more).");
        var cursor = StreamCursor.AfterEvent(after ?? 0);
        var last = http.Request.Headers["Last-Event-ID"].ToString();
        if (last.Length > 0 && !StreamCursor.TryParse(last, out cursor))
            return Problems.BadRequest("Header 'Last-Event-ID' must be an id this stream sent.");
        // Proxies must not buffer the stream.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(EventsAsync(visitor!, cursor, timeline, feed, ct));
    }

    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(
        Visitor visitor, StreamCursor cursor, VisitorTimeline timeline, WebchatFeed feed, [EnumeratorCancellation] CancellationToken ct)
    {
        // Connected before the first read: an event stored in between wakes the loop, nothing falls in the gap.
        using var connection = feed.Connect(visitor.Address);
        yield return new SseItem<string>(JsonSerializer.Serialize(new { after = cursor.ToString() }, JsonSerializerOptions.Web), "hello");
        while (!ct.IsCancellationRequested)
        {
            connection.Reading();
            var (events, next) = await timeline.ReadNewAsync(visitor.Address, cursor, ct);
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                connection.Joined(e.ConversationId);
                // Only the last event carries the cursor: a drop in the middle of a read resumes before all of it.
                yield return new SseItem<string>(JsonSerializer.Serialize(e, JsonSerializerOptions.Web), "message")
                {
                    EventId = i == events.Count - 1 ? next.ToString() : null,
                };
            }

            cursor = next;

            switch (await NextAsync(connection, ct))
            {
                case null:
                    yield return new SseItem<string>("{}", "ping");
                    break;
                case VisitorSignal.Typing typing:
                    yield return new SseItem<string>(JsonSerializer.Serialize(new { typing.ConversationId, typing.Name }, JsonSerializerOptions.Web), "typing");
                    break;
            }
        }
    }

    /// <summary>The next signal, or null after a quiet while (proxies close silent streams).</summary>
    private static async Task<VisitorSignal?> NextAsync(WebchatFeed.Connection connection, CancellationToken ct)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(Quiet);
        try
        {
            return await connection.Signals.Reader.ReadAsync(quiet.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static readonly Lazy<byte[]> Script = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ContactCenter.Server.Pages.Assets.webchat_widget.js")
                           ?? throw new InvalidOperationException("The widget script is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary><c>GET /webchat/widget.js</c>: the one script a website embeds (any page may load it; only allowed origins may chat).</summary>
    internal static IResult WidgetScript(HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers["Cross-Origin-Resource-Policy"] = "cross-origin";
        return TypedResults.Bytes(Script.Value, "text/javascript; charset=utf-8");
    }
}
