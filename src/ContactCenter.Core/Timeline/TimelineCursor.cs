using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace ContactCenter.Core.Timeline;

/// <summary>
/// Keyset position in a timeline read newest first: the (occurred_at, id) of the last event returned.
/// Paging by key rather than by offset returns every event once even while new ones are inserted.
/// </summary>
public readonly record struct TimelineCursor(DateTimeOffset OccurredAt, long Id)
{
    public string Encode()
    {
        var micros = (OccurredAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{micros}.{Id}")));
    }

    public static bool TryDecode(string? value, out TimelineCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(value) || value.Length > 64) return false;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(value);
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = Encoding.ASCII.GetString(bytes).Split('.');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var micros)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return false;
        try
        {
            cursor = new TimelineCursor(DateTimeOffset.UnixEpoch.AddTicks(checked(micros * 10)), id);
            return true;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            return false;
        }
    }
}
