using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Twilio.TwiML;

namespace ContactCenter.Channels.Twilio;

/// <summary>
/// Writes the SDK's TwiML documents (<see cref="VoiceResponse"/>, <see cref="MessagingResponse"/>) as the answer to
/// a webhook. The SDK's writer refuses characters XML 1.0 cannot carry (control characters, lone surrogates) and
/// would fail the whole answer over one character of customer or agent text: they are dropped instead.
/// </summary>
public static class TwimlWriter
{
    public const string ContentType = "text/xml; charset=utf-8";

    public static string Write(TwiML twiml)
    {
        var document = twiml.ToXDocument();
        foreach (var element in document.Descendants().ToList())
        {
            foreach (var attribute in element.Attributes())
                if (XmlSafe(attribute.Value) is var value && !ReferenceEquals(value, attribute.Value)) attribute.Value = value;
            foreach (var text in element.Nodes().OfType<XText>())
                if (XmlSafe(text.Value) is var value && !ReferenceEquals(value, text.Value)) text.Value = value;
            // The SDK gives every element a text node, empty for verbs without one: written as <Hangup />, not <Hangup></Hangup>.
            if (element.Nodes().All(n => n is XText { Value.Length: 0 })) element.RemoveNodes();
        }

        // Unindented, as Twilio reads it and as the hand-written writer did.
        using var writer = new Utf8StringWriter();
        document.Save(writer, SaveOptions.DisableFormatting);
        return writer.ToString();
    }

    public static ContentHttpResult ToResult(this TwiML twiml) => TypedResults.Text(Write(twiml), ContentType);

    /// <summary>The text without the characters XML 1.0 cannot carry; the same instance when there are none.</summary>
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
