using ContactCenter.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace ContactCenter.Server.Hosting;

/// <summary>Ready means PostgreSQL answers: without it no webhook can be stored.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await using var connection = await db.OpenConnectionAsync(timeout.Token);
            await connection.Sql("select 1").ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer.", e);
        }
    }
}
