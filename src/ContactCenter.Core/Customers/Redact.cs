namespace ContactCenter.Core.Customers;

/// <summary>Log-safe forms of personal data: full phone numbers and ids never reach the logs.</summary>
public static class Redact
{
    /// <summary>Keeps the last two characters, enough to tell entries apart while debugging.</summary>
    public static string Address(string? address)
    {
        if (string.IsNullOrEmpty(address)) return "(none)";
        return address.Length <= 4 ? "***" : "***" + address[^2..];
    }
}
