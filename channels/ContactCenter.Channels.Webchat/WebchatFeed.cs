using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using ContactCenter.Core.Desk;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;

namespace ContactCenter.Channels.Webchat;

/// <summary>What wakes a visitor's live connection: new events to read, or an agent typing (never stored).</summary>
public abstract record VisitorSignal
{
    /// <summary>Something was stored for the visitor, or the listener reconnected: read from the last event sent.</summary>
    public sealed record Changed : VisitorSignal;

    public sealed record Typing(Guid ConversationId, string? Name) : VisitorSignal;
}

/// <summary>
/// Fans the <c>cc_webchat</c> notifications (a trigger on webchat timeline events) and the desk's typing signals
/// out to the visitors connected to this instance, through the instance's one <see cref="PostgresListener"/>.
/// A signal carries no content: the connection reads the visitor's events after the last one it sent, so a
/// signal lost, doubled or coalesced loses nothing and doubles nothing.
/// </summary>
public sealed class WebchatFeed : IHostedService, IDisposable
{
    public const string Channel = "cc_webchat";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Connection>> _byAddress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, Connection> _byConversation = new();
    private readonly IDisposable _events;
    private readonly IDisposable _desk;

    public WebchatFeed(PostgresListener listener)
    {
        _events = listener.Subscribe(Channel, OnEvent, WakeAll);
        _desk = listener.Subscribe(DeskSignals.Channel, OnDesk);
    }

    public int Connections => _byAddress.Values.Sum(c => c.Count);

    /// <summary>The visitors (by address) with a live connection to this instance.</summary>
    public IReadOnlyCollection<string> ConnectedAddresses => _byAddress.Keys.ToList();

    /// <summary>Raised when a visitor connects (the presence heartbeat records them at once).</summary>
    public event Action<string>? VisitorConnected;

    /// <summary>A live connection of the visitor with <paramref name="address"/>; dispose it when the visitor leaves.</summary>
    public Connection Connect(string address)
    {
        var connection = new Connection(this, address);
        _byAddress.GetOrAdd(address, _ => new ConcurrentDictionary<Guid, Connection>())[connection.Id] = connection;
        VisitorConnected?.Invoke(address);
        return connection;
    }

    public void Dispose()
    {
        _events.Dispose();
        _desk.Dispose();
    }

    // A hosted service only so that it subscribes at start-up, before the listener connects.
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    // Callbacks run on the listener's notification thread: they only signal, and a payload they cannot read is skipped.
    private void OnEvent(string payload)
    {
        var address = Read(payload, "address");
        if (address is null || !_byAddress.TryGetValue(address, out var connections)) return;
        foreach (var c in connections.Values) c.Wake();
    }

    private void OnDesk(string payload)
    {
        // Every desk signal comes here; only typing on a conversation a connected visitor is in is of interest.
        if (_byConversation.IsEmpty || !payload.Contains("\"typing\"", StringComparison.Ordinal) || Read(payload, "type") != "typing") return;
        // The visitor's own typing goes to the desks on the same feed: not back to the visitor.
        if (payload.Contains("\"customer\":true", StringComparison.Ordinal) || !Guid.TryParse(Read(payload, "conversationId"), out var conversationId)) return;
        var name = Read(payload, "name");
        foreach (var c in _byConversation.Values.Where(c => c.Conversations.ContainsKey(conversationId)))
            c.Typing(conversationId, name);
    }

    private void WakeAll()
    {
        foreach (var connections in _byAddress.Values)
            foreach (var c in connections.Values) c.Wake();
    }

    private static string? Read(string payload, string property)
    {
        try
        {
            using var json = JsonDocument.Parse(payload);
            return json.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Remove(Connection connection)
    {
        _byConversation.TryRemove(connection.Id, out _);
        if (_byAddress.TryGetValue(connection.Address, out var connections))
        {
            connections.TryRemove(connection.Id, out _);
            if (connections.IsEmpty) _byAddress.TryRemove(new KeyValuePair<string, ConcurrentDictionary<Guid, Connection>>(connection.Address, connections));
        }
    }

    public sealed class Connection : IDisposable
    {
        private readonly WebchatFeed _feed;

        internal Connection(WebchatFeed feed, string address)
        {
            _feed = feed;
            Address = address;
        }

        public Guid Id { get; } = Guid.NewGuid();
        public string Address { get; }

        private int _changedPending;

        /// <summary>Coalescing: at most one "changed" waits (one read catches up on all); typing beyond a few is dropped.</summary>
        public Channel<VisitorSignal> Signals { get; } = System.Threading.Channels.Channel.CreateUnbounded<VisitorSignal>();

        /// <summary>The reader is about to read the visitor's events: a change after this wakes it again.</summary>
        public void Reading() => Interlocked.Exchange(ref _changedPending, 0);

        /// <summary>Conversations this visitor is in (learnt from the events sent), so agents' typing reaches them.</summary>
        internal ConcurrentDictionary<Guid, byte> Conversations { get; } = new();

        public void Joined(Guid conversationId)
        {
            if (Conversations.TryAdd(conversationId, 0)) _feed._byConversation[Id] = this;
        }

        internal void Wake()
        {
            if (Interlocked.Exchange(ref _changedPending, 1) == 0) Signals.Writer.TryWrite(new VisitorSignal.Changed());
        }

        internal void Typing(Guid conversationId, string? name)
        {
            if (Signals.Reader.Count < 8) Signals.Writer.TryWrite(new VisitorSignal.Typing(conversationId, name));
        }

        public void Dispose()
        {
            _feed.Remove(this);
            Signals.Writer.TryComplete();
        }
    }
}
