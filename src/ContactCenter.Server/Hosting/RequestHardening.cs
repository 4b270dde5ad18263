using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Net.Http.Headers;

namespace ContactCenter.Server.Hosting;

/// <summary>
/// The one place every request body is checked before a handler sees it: its size, its media type and charset,
/// and (for the API's JSON) values PostgreSQL cannot store or handlers cannot take. What fails here, and every
/// other "the input is bad" exception, is mapped to 400 problem details by <see cref="ErrorHandler"/>.
/// </summary>
public static class RequestHardening
{
    /// <summary>The same bound Kestrel enforces, also checked where Kestrel is not in front (tests, other servers).</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    public static IServiceCollection AddRequestHardening(this IServiceCollection services)
    {
        // Binding failures (malformed JSON, wrong types, the checks below) throw, so ErrorHandler answers them
        // with the reason and the JSON path instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
            o.SerializerOptions.TypeInfoResolver = (o.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(RefuseUnstorableValues));
        return services;
    }

    public static IApplicationBuilder UseRequestHardening(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Refusal(context.Request) is { } refusal)
        {
            await Problems.WriteAsync(context, refusal.Status, refusal.Status == 413 ? "Payload too large" : "Bad request", refusal.Detail);
            return;
        }

        await next(context);
    });

    private static (int Status, string Detail)? Refusal(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes) return (413, $"The body is larger than {MaxBodyBytes / 1024} kB.");
        if (string.IsNullOrEmpty(request.ContentType)) return null;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var media))
            return (400, "The Content-Type header is not a media type.");
        if (media.Charset is { Length: > 0 } charset && !IsKnownCharset(charset.Value!.Trim('"')))
            return (400, $"The charset of the Content-Type header is not one the service can decode (use utf-8).");
        return null;
    }

    private static bool IsKnownCharset(string name)
    {
        try
        {
            Encoding.GetEncoding(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Our own API refuses what it could only store mangled: a NUL (U+0000) in any string (PostgreSQL cannot store
    /// it), and <c>null</c> inside a list (no handler means it). The error names the field.
    /// </summary>
    private static void RefuseUnstorableValues(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        var checkedProperties = info.Properties.Where(p => p.Get is not null && (p.PropertyType == typeof(string) || IsCollection(p.PropertyType))).ToArray();
        if (checkedProperties.Length == 0) return;
        var previous = info.OnDeserialized;
        info.OnDeserialized = value =>
        {
            previous?.Invoke(value);
            foreach (var property in checkedProperties)
            {
                switch (property.Get!(value))
                {
                    case string text when text.Contains('\0'):
                        throw new JsonException($"'{property.Name}' contains a NUL character (U+0000).");
                    case IDictionary map:
                        foreach (DictionaryEntry entry in map)
                        {
                            if (entry.Key is string key && key.Contains('\0') || entry.Value is string item && item.Contains('\0'))
                                throw new JsonException($"'{property.Name}' contains a NUL character (U+0000).");
                        }

                        break;
                    case IEnumerable items and not string:
                        var index = 0;
                        foreach (var item in items)
                        {
                            if (item is null) throw new JsonException($"'{property.Name}' must not contain null (element {index}).");
                            if (item is string s && s.Contains('\0'))
                                throw new JsonException($"'{property.Name}' contains a NUL character (U+0000) (element {index}).");
                            index++;
                        }

                        break;
                }
            }
        };
    }

    private static bool IsCollection(Type type) =>
        type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && !type.Namespace!.StartsWith("System.Text.Json", StringComparison.Ordinal);
}
