using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Storage;

public sealed class MigrationFailedException(string file, string message, Exception? inner = null)
    : Exception($"Database migration {file} failed: {message}", inner)
{
    public string File { get; } = file;
}

/// <summary>
/// Applies the versioned SQL files embedded under Storage/Migrations in name order, each once, each in its
/// own transaction, and records them. An advisory lock makes instances that start together take turns.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource db, ILogger<MigrationRunner> log)
{
    private const long AdvisoryLockKey = 0x43_43_4D_49_47; // "CCMIG"

    public static IReadOnlyList<(string Name, string Sql)> EmbeddedMigrations(Assembly? assembly = null)
    {
        assembly ??= typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return (n["Migrations/".Length..], reader.ReadToEnd());
            })
            .ToList();
    }

    public Task<int> MigrateAsync(CancellationToken ct = default) => MigrateAsync(EmbeddedMigrations(), ct);

    /// <returns>How many migrations were applied now.</returns>
    public async Task<int> MigrateAsync(IReadOnlyList<(string Name, string Sql)> migrations, CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.Sql("select pg_advisory_lock($1)", AdvisoryLockKey).ExecuteNonQueryAsync(ct);
        try
        {
            await connection.Sql("""
                create table if not exists schema_migrations (
                    name       text primary key,
                    checksum   text not null,
                    applied_at timestamptz not null default now())
                """).ExecuteNonQueryAsync(ct);

            var applied = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var reader = await connection.Sql("select name, checksum from schema_migrations").ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) applied[reader.GetString(0)] = reader.GetString(1);
            }

            var count = 0;
            foreach (var (name, sql) in migrations)
            {
                var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
                if (applied.TryGetValue(name, out var recorded))
                {
                    if (recorded != checksum)
                        throw new MigrationFailedException(name, "the file changed after it was applied; add a new migration instead of editing this one.");
                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(ct);
                try
                {
                    await connection.Sql(sql).ExecuteNonQueryAsync(ct);
                    await connection.Sql("insert into schema_migrations (name, checksum) values ($1, $2)", name, checksum)
                        .ExecuteNonQueryAsync(ct);
                    await tx.CommitAsync(ct);
                }
                catch (PostgresException e)
                {
                    throw new MigrationFailedException(name, $"{e.MessageText} (SQLSTATE {e.SqlState}{(e.Position > 0 ? $", at character {e.Position}" : "")})", e);
                }

                LogApplied(name);
                count++;
            }

            return count;
        }
        finally
        {
            await connection.Sql("select pg_advisory_unlock($1)", AdvisoryLockKey).ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied database migration {Name}")]
    private partial void LogApplied(string name);
}
