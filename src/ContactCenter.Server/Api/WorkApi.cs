using ContactCenter.Core.Work;
using ContactCenter.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContactCenter.Server.Api;

/// <summary>Admins see what the work pipeline holds (parked items above all) and send parked items back.</summary>
public static class WorkApi
{
    public static IEndpointRouteBuilder MapWorkApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin/work").WithTags("Work").RequireAuthorization(Policies.Admin);
        api.MapGet("", ListAsync).WithSummary("Work items by status (pending | running | parked), oldest first (admin)");
        api.MapPost("/{id:long}/retry", RetryAsync).WithSummary("Send a parked item back to the pipeline, attempts from zero (admin)");
        return app;
    }

    private static async Task<Results<Ok<List<WorkListing>>, ProblemHttpResult>> ListAsync(
        string? status, int? limit, WorkStore work, CancellationToken ct)
    {
        if (status is not null && !WorkStatus.IsKnown(status))
            return Problems.BadRequest($"Unknown status '{status}': use pending, running or parked.");
        if (limit is < 1 or > 1000) return Problems.BadRequest("'limit' must be between 1 and 1000.");
        return TypedResults.Ok(await work.ListAsync(status, limit ?? 100, ct));
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> RetryAsync(long id, WorkStore work, WorkPipeline pipeline, CancellationToken ct)
    {
        if (!await work.RetryParkedAsync(id, ct)) return Problems.NotFound($"No parked work item {id}.");
        pipeline.Wake();
        return TypedResults.Accepted($"/api/admin/work?status=pending");
    }
}
