using ContactCenter.Core.Channels;
using Microsoft.Extensions.Options;

namespace ContactCenter.Server.Hosting.Checks;

/// <summary>
/// Collects what is wrong with a configuration section, each message starting with the full key
/// (<c>Twilio:PublicBaseUrl: …</c>), so the refusal to start says where to look. Secrets are never quoted.
/// </summary>
internal sealed class KeyErrors
{
    private readonly List<string> _errors = [];

    public KeyErrors Add(string key, string problem)
    {
        _errors.Add($"{key}: {problem}");
        return this;
    }

    public KeyErrors Positive(string key, TimeSpan value) =>
        value > TimeSpan.Zero ? this : Add(key, $"must be more than zero (is {value}).");

    public KeyErrors Positive(string key, TimeSpan? value) => value is { } v ? Positive(key, v) : this;

    public KeyErrors NotNegative(string key, TimeSpan value) =>
        value >= TimeSpan.Zero ? this : Add(key, $"must not be negative (is {value}).");

    public KeyErrors Positive(string key, int value) =>
        value > 0 ? this : Add(key, $"must be more than zero (is {value}).");

    public KeyErrors NotNegative(string key, int value) =>
        value >= 0 ? this : Add(key, $"must not be negative (is {value}).");

    public KeyErrors Between(string key, double value, double min, double max) =>
        value >= min && value <= max ? this : Add(key, $"must be between {min} and {max} (is {value}).");

    /// <summary>An absolute http(s) URL when set (or always, when <paramref name="required"/>).</summary>
    public KeyErrors Url(string key, string? value, bool required = false, bool httpsOnly = false)
    {
        if (string.IsNullOrWhiteSpace(value))
            return required ? Add(key, httpsOnly ? "must be set to an absolute https URL." : "must be set to an absolute URL.") : this;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return Add(key, $"must be an absolute http or https URL (is '{value}').");
        return httpsOnly && uri.Scheme != Uri.UriSchemeHttps ? Add(key, $"must be an https URL (is '{value}').") : this;
    }

    /// <summary>Every key of a per-channel section names a channel (<paramref name="messagingOnly"/>: not voice).</summary>
    public KeyErrors ChannelNames(string section, IEnumerable<string> names, bool messagingOnly = false)
    {
        foreach (var name in names)
        {
            if (!Core.Channels.ChannelNames.TryParse(name, out var channel))
                Add($"{section}:{name}", $"'{name}' is not a channel (one of {string.Join(", ", Core.Channels.ChannelNames.All.Select(c => c.ToName()))}).");
            else if (messagingOnly && !channel.IsMessaging())
                Add($"{section}:{name}", $"'{name}' is not a messaging channel.");
        }

        return this;
    }

    /// <summary>Settings that only work together: some set and others not is a channel configured half-way.</summary>
    public KeyErrors Together(string purpose, params (string Key, string? Value)[] settings)
    {
        var set = settings.Where(s => !string.IsNullOrWhiteSpace(s.Value)).Select(s => s.Key).ToList();
        if (set.Count == 0 || set.Count == settings.Length) return this;
        foreach (var missing in settings.Where(s => string.IsNullOrWhiteSpace(s.Value)))
            Add(missing.Key, $"is missing while {string.Join(" and ", set)} {(set.Count == 1 ? "is" : "are")} set: {purpose}.");
        return this;
    }

    public ValidateOptionsResult Result => _errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_errors);
}
