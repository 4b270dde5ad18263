// The hand-written TwiML writer the service used before the Twilio SDK (issue 14), kept here only as the
// same-run baseline of the `twiml` scenario. Not used by the service.
using System.Globalization;
using System.Text;
using System.Xml;

namespace ContactCenter.Bench;

/// <summary>
/// One TwiML element: a verb or a noun with attributes, text and nested elements (a Gather holding a Say).
/// Verbs are made by the methods of <see cref="LegacyTwimlResponse"/>; a new verb (Say, Play, Gather, Dial, Enqueue,
/// Redirect, Record, Hangup …) is one more small method there, or built here and passed to Add.
/// </summary>
internal sealed class LegacyTwimlElement(string name)
{
    private readonly List<KeyValuePair<string, string>> _attributes = [];
    private readonly List<LegacyTwimlElement> _children = [];

    public string Name { get; } = name;
    public string? Text { get; set; }

    /// <summary>Adds an attribute; a null value is left out, booleans are written as Twilio expects them.</summary>
    public LegacyTwimlElement Attribute(string name, object? value)
    {
        var text = value switch
        {
            null => null,
            bool b => b ? "true" : "false",
            TimeSpan t => ((int)Math.Ceiling(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        if (text is not null) _attributes.Add(new(name, text));
        return this;
    }

    public LegacyTwimlElement Add(LegacyTwimlElement child)
    {
        _children.Add(child);
        return this;
    }

    internal void WriteTo(XmlWriter writer)
    {
        writer.WriteStartElement(Name);
        foreach (var (name, value) in _attributes) writer.WriteAttributeString(name, XmlSafe(value));
        if (Text is not null) writer.WriteString(XmlSafe(Text));
        foreach (var child in _children) child.WriteTo(writer);
        writer.WriteEndElement();
    }

    /// <summary>
    /// Customer and agent text may hold characters XML 1.0 cannot carry (control characters, lone surrogates):
    /// they are dropped rather than failing the whole answer. Escaping of &lt;, &amp; and quotes is XmlWriter's.
    /// </summary>
    internal static string XmlSafe(string text)
    {
        var firstBad = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsXmlChar(text, i, out var width)) { firstBad = i; break; }
            i += width - 1;
        }

        if (firstBad < 0) return text;
        var clean = new StringBuilder(text.Length).Append(text, 0, firstBad);
        for (var i = firstBad; i < text.Length; i++)
        {
            if (IsXmlChar(text, i, out var width)) clean.Append(text, i, width);
            i += width - 1;
        }

        return clean.ToString();
    }

    private static bool IsXmlChar(string text, int i, out int width)
    {
        width = 1;
        var c = text[i];
        if (char.IsHighSurrogate(c))
        {
            if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                width = 2;
                return true;
            }

            return false;
        }

        return XmlConvert.IsXmlChar(c);
    }
}

/// <summary>
/// A TwiML document: <c>&lt;Response&gt;</c> and its verbs, written with <see cref="XmlWriter"/> so every
/// value is escaped. <c>new LegacyTwimlResponse()</c> alone is the empty answer (<c>&lt;Response/&gt;</c>).
/// </summary>
internal sealed class LegacyTwimlResponse
{
    public const string ContentType = "text/xml; charset=utf-8";

    private readonly LegacyTwimlElement _root = new("Response");

    /// <summary>Appends any verb (for verbs without a helper yet).</summary>
    public LegacyTwimlResponse Add(LegacyTwimlElement verb)
    {
        _root.Add(verb);
        return this;
    }

    /// <summary><c>&lt;Message&gt;</c>: a reply to the message being answered (SMS, MMS, WhatsApp).</summary>
    public LegacyTwimlResponse Message(string body, IEnumerable<string>? mediaUrls = null, string? to = null, string? from = null,
        string? action = null)
    {
        var message = new LegacyTwimlElement("Message").Attribute("to", to).Attribute("from", from).Attribute("action", action);
        var media = mediaUrls?.ToList() ?? [];
        if (media.Count == 0)
        {
            message.Text = body;
        }
        else
        {
            // With media, the text and each attachment are nouns of their own.
            message.Add(new LegacyTwimlElement("Body") { Text = body });
            foreach (var url in media) message.Add(new LegacyTwimlElement("Media") { Text = url });
        }

        return Add(message);
    }

    public override string ToString()
    {
        var output = new StringBuilder();
        var settings = new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = false };
        using (var writer = XmlWriter.Create(new Utf8StringWriter(output), settings))
        {
            writer.WriteStartDocument();
            _root.WriteTo(writer);
            writer.WriteEndDocument();
        }

        return output.ToString();
    }

    /// <summary>Makes the XML declaration say utf-8, the encoding the response is sent in.</summary>
    private sealed class Utf8StringWriter(StringBuilder builder) : StringWriter(builder, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
