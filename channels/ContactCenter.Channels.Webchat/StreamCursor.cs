using System.Globalization;

namespace ContactCenter.Channels.Webchat;

/// <summary>
/// Where a visitor's live stream resumes. Event ids are taken at insert and transactions commit in another order,
/// so "after id N" can skip an event with a lower id that commits after N was read. The stream therefore resumes
/// from a PostgreSQL snapshot (<c>xmin:xmax:xip,…</c>, the text form of <c>pg_snapshot</c>): next time it sends
/// exactly the events whose writing transaction that snapshot did not yet see. A plain event id is still accepted
/// (a first connection, or an older widget), meaning "after that id".
/// </summary>
public sealed record StreamCursor
{
    private const int MaxLength = 8192;

    private StreamCursor(long afterId, string? snapshot) => (AfterId, Snapshot) = (afterId, snapshot);

    /// <summary>With no snapshot: events with an id above this one.</summary>
    public long AfterId { get; }

    /// <summary>A <c>pg_snapshot</c> in its text form, or null for an id cursor.</summary>
    public string? Snapshot { get; }

    public static StreamCursor AfterEvent(long id) => new(id, null);

    /// <summary>Reads an id or a snapshot; refuses anything PostgreSQL's <c>pg_snapshot</c> input would refuse, so bad input is a 400, not a database error.</summary>
    public static bool TryParse(string? text, out StreamCursor cursor)
    {
        cursor = AfterEvent(0);
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength) return false;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            cursor = AfterEvent(id);
            return true;
        }

        var parts = text.Split(':');
        if (parts.Length != 3 || !Xid(parts[0], out var xmin) || !Xid(parts[1], out var xmax) || xmin == 0 || xmin > xmax) return false;
        if (parts[2].Length > 0)
        {
            var last = xmin;
            foreach (var item in parts[2].Split(','))
            {
                if (!Xid(item, out var xip) || xip < last || xip >= xmax) return false;
                last = xip;
            }
        }

        cursor = new StreamCursor(0, text);
        return true;
    }

    public override string ToString() => Snapshot ?? AfterId.ToString(CultureInfo.InvariantCulture);

    private static bool Xid(string text, out ulong value) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= long.MaxValue;
}
