using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace ContactCenter.Tests.Accounts;

public sealed record ApiRoute(string Method, string Pattern, string Url);

public static class AuthorizationMatrix
{
    /// <summary>
    /// Every API route the app maps (from its <see cref="EndpointDataSource"/>), with placeholder values for the
    /// route parameters: a fresh guid for ids, "x" otherwise.
    /// </summary>
    public static IReadOnlyList<ApiRoute> ApiRoutes(ContactCenterApp app, IReadOnlyDictionary<string, string>? values = null)
    {
        var routes = new List<ApiRoute>();
        foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var raw = "/" + (pattern.RawText ?? "").TrimStart('/');
            if (!raw.StartsWith("/api/", StringComparison.Ordinal)) continue;
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var url = string.Concat(pattern.PathSegments.Select(segment => "/" + string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart parameter => values?.GetValueOrDefault(parameter.Name)
                    ?? (parameter.ParameterPolicies.Any(p => p.Content == "guid") ? Guid.NewGuid().ToString()
                        : parameter.ParameterPolicies.Any(p => p.Content is "int" or "long") ? "1" : "x"),
                RoutePatternSeparatorPart separator => separator.Content,
                _ => "",
            }))));
            foreach (var method in methods) routes.Add(new ApiRoute(method, raw, url));
        }

        return routes.DistinctBy(r => (r.Method, r.Pattern)).OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method).ToList();
    }
}
