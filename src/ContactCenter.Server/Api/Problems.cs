using ContactCenter.Core.Conversations;
using ContactCenter.Core.Outbound;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ContactCenter.Server;

/// <summary>RFC 9457 problem details, written the same way everywhere.</summary>
public static class Problems
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        return service.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: 400, title: "Bad request");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: 404, title: "Not found");

    public static ProblemHttpResult Conflict(string title, string detail, string? type = null) =>
        TypedResults.Problem(detail, statusCode: 409, title: title, type: type);

    /// <summary>409 for acting on another agent's conversation: names the owner so the desk can offer a takeover.</summary>
    public static ProblemHttpResult NotOwner(NotOwner owner) =>
        TypedResults.Problem(owner.Detail, statusCode: 409, title: Core.Conversations.NotOwner.Title, extensions: new Dictionary<string, object?>
        {
            ["code"] = Core.Conversations.NotOwner.Code,
            ["owner"] = new Dictionary<string, object?> { ["agentId"] = owner.OwnerId, ["name"] = owner.OwnerName },
        });

    /// <summary>409 for a message the channel's rules refuse (opted out, window closed…), with the refusal's code.</summary>
    public static ProblemHttpResult Refused(OutboundRefusal refusal) =>
        TypedResults.Problem(refusal.Detail, statusCode: 409, title: refusal.Title, extensions: new Dictionary<string, object?> { ["code"] = refusal.Code });

    public static ProblemHttpResult Unprocessable(string title, string detail) =>
        TypedResults.Problem(detail, statusCode: 422, title: title);

    public static ProblemDetails Of(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
