using System.Text.Json.Nodes;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Core.Desk;

public sealed record DeskViewer(string AgentId, string Name, DateTimeOffset SeenAt);

/// <summary>
/// Open desk pages (table <c>desk_sessions</c>): each page beats with the conversation it shows, so every
/// instance knows who else has a conversation open; typing is announced on the change feed, never stored.
/// </summary>
public sealed class DeskPresence(NpgsqlDataSource db, IOptions<DeskOptions> options, TimeProvider clock)
{
    /// <summary>The page is alive and shows <paramref name="conversationId"/> (or none); announces a change of conversation.</summary>
    public async Task HeartbeatAsync(Guid sessionId, string agentId, Guid? conversationId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid? before;
        bool known;
        await using (var current = connection.Sql("select conversation_id from desk_sessions where session_id = $1 and agent_id = $2 for update",
                         sessionId, agentId))
        await using (var reader = await current.ExecuteReaderAsync(ct))
        {
            known = await reader.ReadAsync(ct);
            before = known ? reader.Nullable<Guid?>(0) : null;
        }

        await connection.Sql("""
            insert into desk_sessions (session_id, agent_id, conversation_id, seen_at) values ($1, $2, $3, $4)
            on conflict (session_id) do update set conversation_id = excluded.conversation_id, seen_at = excluded.seen_at
            where desk_sessions.agent_id = excluded.agent_id
            """, sessionId, agentId, Db.Uuid(conversationId), now).ExecuteNonQueryAsync(ct);
        if (!known || before != conversationId)
        {
            foreach (var changed in new[] { before, conversationId }.Where(c => c is not null).Distinct())
                await DeskSignals.NotifyAsync(connection, new JsonObject
                {
                    ["type"] = "presence", ["conversationId"] = changed.ToString(), ["agentId"] = agentId,
                }, ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The page closed: it no longer shows its conversation. The row stays until the sweep, so a closed desk makes
    /// its agent away after <see cref="DeskOptions.AwayAfter"/> exactly like a lost one (a reload beats again first).
    /// </summary>
    public async Task LeaveAsync(Guid sessionId, string agentId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid? conversationId;
        await using (var current = connection.Sql(
                         "select conversation_id from desk_sessions where session_id = $1 and agent_id = $2 for update", sessionId, agentId))
        {
            conversationId = await current.ExecuteScalarAsync(ct) as Guid?;
        }

        if (conversationId is { } shown)
        {
            await connection.Sql("update desk_sessions set conversation_id = null where session_id = $1", sessionId).ExecuteNonQueryAsync(ct);
            await DeskSignals.NotifyAsync(connection, new JsonObject
            {
                ["type"] = "presence", ["conversationId"] = shown.ToString(), ["agentId"] = agentId,
            }, ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Agents whose desk shows the conversation now (a heartbeat within <see cref="DeskOptions.AwayAfter"/>).</summary>
    public async Task<IReadOnlyList<DeskViewer>> ViewersAsync(Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql("""
            select s.agent_id, coalesce(a.name, s.agent_id), max(s.seen_at) from desk_sessions s left join agents a on a.id = s.agent_id
            where s.conversation_id = $1 and s.seen_at > $2
            group by s.agent_id, a.name order by 1
            """, conversationId, clock.GetUtcNow() - options.Value.AwayAfter);
        var list = new List<DeskViewer>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(new DeskViewer(reader.GetString(0), reader.GetString(1), reader.Instant(2)));
        return list;
    }

    /// <summary>Tells the other desks on the conversation that the agent is typing (nothing is stored).</summary>
    public async Task TypingAsync(string agentId, string name, Guid conversationId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await DeskSignals.NotifyAsync(connection, new JsonObject
        {
            ["type"] = "typing", ["conversationId"] = conversationId.ToString(), ["agentId"] = agentId, ["name"] = name,
        }, ct);
    }

    /// <summary>
    /// Removes pages that stopped beating and answers the agents left without any open desk. Any number of
    /// instances may sweep at once: each stale row is deleted (and its agent answered) by one of them.
    /// </summary>
    public async Task<IReadOnlyList<string>> SweepAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.AwayAfter;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var gone = new List<(string Agent, Guid? Conversation)>();
        await using (var delete = connection.Sql("delete from desk_sessions where seen_at <= $1 returning agent_id, conversation_id", cutoff))
        await using (var reader = await delete.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) gone.Add((reader.GetString(0), reader.Nullable<Guid?>(1)));
        }

        foreach (var conversationId in gone.Select(g => g.Conversation).Where(c => c is not null).Distinct())
            await DeskSignals.NotifyAsync(connection, new JsonObject { ["type"] = "presence", ["conversationId"] = conversationId.ToString() }, ct);
        var agents = gone.Select(g => g.Agent).Distinct().ToArray();
        var left = new List<string>();
        if (agents.Length > 0)
        {
            await using var alone = connection.Sql("""
                select id from unnest($1::text[]) id where not exists (select 1 from desk_sessions s where s.agent_id = id)
                """, (object)agents);
            await using var reader = await alone.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) left.Add(reader.GetString(0));
        }

        await tx.CommitAsync(ct);
        return left;
    }
}

/// <summary>
/// Every instance sweeps stale desk pages; an available agent whose last desk disappeared becomes away. Away keeps
/// their conversations (only going offline requeues them), so a dropped connection costs the customer nothing.
/// </summary>
public sealed partial class DeskAwaySweeper(
    DeskPresence presence, AgentStore agents, IOptions<DeskOptions> options, ILogger<DeskAwaySweeper> log) : BackgroundService
{
    public const string Actor = "desk";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(options.Value.AwayAfter.TotalMilliseconds / 4, 200, 5_000));
        using var timer = new PeriodicTimer(interval);
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                foreach (var agentId in await presence.SweepAsync(stoppingToken))
                {
                    if (await agents.GetAsync(agentId, stoppingToken) is { Status: AgentStatus.Available })
                    {
                        await agents.SetStatusAsync(agentId, AgentStatus.Away, Actor, stoppingToken);
                        LogAway(agentId);
                    }
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogSweepFailed(e);
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId} is away: their desk stopped sending heartbeats")]
    private partial void LogAway(string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Desk presence sweep failed; trying again")]
    private partial void LogSweepFailed(Exception e);
}
