using ContactCenter.Core.Storage;
using ContactCenter.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ContactCenter.Core.Routing;

/// <summary>
/// Matches waiting conversations to agents with room. One pass reads the available agents and their loads,
/// the waiting conversations at the head of each (queue, bucket, relaxed skill level) group that some of
/// them qualify for, and walks those conversations highest rank first, then longest waiting; each goes to
/// the qualifying agent with the most free capacity, ties to the longest idle.
/// <para>
/// The plan is made from a snapshot; each assignment is then one short transaction that re-checks under
/// locks: an advisory try-lock on the conversation (an assigner in another instance skips it instead of
/// queueing behind it), the conversation row, and the agent row taken with <c>SKIP LOCKED</c>, whose open
/// conversations are counted again before the assignment. So any number of instances can run passes at
/// once: never one conversation to two agents, never an agent over capacity.
/// </para>
/// </summary>
public sealed partial class AssignmentPass(NpgsqlDataSource db, RoutingEngine engine, TimeProvider clock, ILogger<AssignmentPass> log)
{
    private const int MaxCandidatesPerGroup = 500;
    private long _assigned;

    /// <summary>Assignments this instance made since it started.</summary>
    public long Assigned => Interlocked.Read(ref _assigned);

    private sealed class FreeAgent(string id, Dictionary<string, int> skills, Dictionary<string, int> free, DateTimeOffset idleSince)
    {
        public string Id { get; } = id;
        public Dictionary<string, int> Skills { get; } = skills;
        public Dictionary<string, int> Free { get; } = free;
        public DateTimeOffset IdleSince { get; set; } = idleSince;
    }

    private sealed record Group(string Queue, string Bucket, int? Cap, Dictionary<string, int> Required);

    private sealed record Candidate(Guid ConversationId, int Rank, DateTimeOffset WaitingSince, Group Group);

    private enum Attempt { Assigned, EntryGone, AgentFull }

    /// <summary>Runs passes until one assigns nothing. Returns how many conversations were assigned.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            var assigned = await RunOnceAsync(ct);
            total += assigned;
            if (assigned == 0) return total;
        }
    }

    private async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<FreeAgent> agents;
        List<Candidate> candidates = [];
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            agents = await FreeAgentsAsync(connection, ct);
            if (agents.Count == 0) return 0;
            var queues = (await QueueStore.ListAsync(connection, ct)).ToDictionary(q => q.Name);
            foreach (var group in await GroupsAsync(connection, queues, ct))
            {
                var slots = agents.Where(a => Qualifies(a, group)).Sum(a => a.Free.GetValueOrDefault(group.Bucket));
                if (slots > 0) candidates.AddRange(await HeadAsync(connection, group, Math.Min(slots, MaxCandidatesPerGroup), ct));
            }
        }

        var assigned = 0;
        foreach (var candidate in candidates.OrderByDescending(c => c.Rank).ThenBy(c => c.WaitingSince).ThenBy(c => c.ConversationId))
        {
            while (Best(agents, candidate.Group) is { } agent)
            {
                var (attempt, freeLeft) = await TryAssignAsync(candidate, agent.Id, ct);
                if (attempt == Attempt.AgentFull)
                {
                    agent.Free[candidate.Group.Bucket] = freeLeft;
                    continue;
                }

                if (attempt == Attempt.Assigned)
                {
                    agent.Free[candidate.Group.Bucket] = freeLeft;
                    agent.IdleSince = clock.GetUtcNow();
                    assigned++;
                    var queueTag = ContactCenterTelemetry.Tag("queue", candidate.Group.Queue);
                    ContactCenterTelemetry.Assignments.Add(1, queueTag);
                    ContactCenterTelemetry.QueueWait.Record(Math.Max(0, (agent.IdleSince - candidate.WaitingSince).TotalSeconds), queueTag);
                }

                break;
            }
        }

        Interlocked.Add(ref _assigned, assigned);
        if (assigned > 0) LogPass(assigned, candidates.Count, agents.Count);
        return assigned;
    }

    private static FreeAgent? Best(List<FreeAgent> agents, Group group) => agents
        .Where(a => a.Free.GetValueOrDefault(group.Bucket) > 0 && Qualifies(a, group))
        .OrderByDescending(a => a.Free[group.Bucket]).ThenBy(a => a.IdleSince).ThenBy(a => a.Id, StringComparer.Ordinal)
        .FirstOrDefault();

    private static bool Qualifies(FreeAgent agent, Group group) => Qualifies(agent.Skills, group.Required, group.Cap);

    internal static bool Qualifies(IReadOnlyDictionary<string, int> skills, IReadOnlyDictionary<string, int> required, int? cap)
    {
        foreach (var (skill, level) in required)
        {
            var needed = cap is { } c ? Math.Min(level, c) : level;
            if (needed > 0 && skills.GetValueOrDefault(skill) < needed) return false;
        }

        return true;
    }

    private static async Task<List<FreeAgent>> FreeAgentsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var rows = new List<(string Id, string Skills, string Capacity, DateTimeOffset Idle)>();
        await using (var command = connection.Sql("select id, skills, capacity, idle_since from agents where status = 'available'"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.Instant(3)));
        }

        var loads = await AgentStore.LoadsAsync(connection, rows.Select(r => r.Id).ToArray(), ct);
        var agents = new List<FreeAgent>();
        foreach (var row in rows)
        {
            var capacity = AgentStore.ParseLevels(row.Capacity);
            var free = CapacityBuckets.All.ToDictionary(b => b, b => capacity.GetValueOrDefault(b) - loads.GetValueOrDefault((row.Id, b)));
            if (free.Values.Any(f => f > 0)) agents.Add(new FreeAgent(row.Id, AgentStore.ParseLevels(row.Skills), free, row.Idle));
        }

        return agents;
    }

    private static async Task<List<Group>> GroupsAsync(NpgsqlConnection connection, Dictionary<string, RoutingQueue> queues, CancellationToken ct)
    {
        var groups = new List<Group>();
        await using var command = connection.Sql("select distinct queue, bucket, skill_level_cap from queue_entries");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var queue = reader.GetString(0);
            var required = queues.TryGetValue(queue, out var q) ? q.Definition.RequiredSkills : [];
            groups.Add(new Group(queue, reader.GetString(1), reader.Nullable<int?>(2), required));
        }

        return groups;
    }

    private static async Task<List<Candidate>> HeadAsync(NpgsqlConnection connection, Group group, int limit, CancellationToken ct)
    {
        // Queue order is the customer's message time, whatever order the work pipeline's parallel items enqueue in:
        // while an item that may still queue a conversation (a customer message not yet handled, first tries only)
        // is unfinished, conversations waiting since later than its message stay out of this pass. Its completion
        // wakes routing again (WorkStore.CompleteAsync).
        await using var command = connection.Sql("""
            select conversation_id, rank, waiting_since from queue_entries
            where queue = $1 and bucket = $2 and skill_level_cap is not distinct from $3
              and waiting_since < coalesce(
                  (select min(queue_barrier) from work_items where queue_barrier is not null and status <> 'parked' and attempts < 3),
                  'infinity')
            order by rank desc, waiting_since
            limit $4
            """, group.Queue, group.Bucket, group.Cap is { } cap ? cap : DBNull.Value, limit);
        var list = new List<Candidate>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(new Candidate(reader.GetGuid(0), reader.GetInt32(1), reader.Instant(2), group));
        return list;
    }

    /// <summary>One assignment, re-checked under locks. Returns the agent's free slots left when it matters.</summary>
    private async Task<(Attempt, int)> TryAssignAsync(Candidate candidate, string agentId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToMicroseconds();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var claim = connection.Sql("select pg_try_advisory_xact_lock(hashtextextended($1, 5))", candidate.ConversationId.ToString()))
        {
            if (await claim.ExecuteScalarAsync(ct) is not true) return (Attempt.EntryGone, 0);
        }

        var conversation = await QueueEntries.LockConversationAsync(connection, candidate.ConversationId, ct);
        if (conversation is null || conversation.Id != candidate.ConversationId || !conversation.IsOpen || conversation.Assignee is not null)
        {
            // The entry outlived its conversation (closed, merged away, assigned by hand): clean it up.
            await QueueEntries.RemoveAsync(connection, candidate.ConversationId, ct);
            await tx.CommitAsync(ct);
            return (Attempt.EntryGone, 0);
        }

        await using (var entry = connection.Sql("""
            select 1 from queue_entries
            where conversation_id = $1 and queue = $2 and bucket = $3 and skill_level_cap is not distinct from $4
            for update
            """, candidate.ConversationId, candidate.Group.Queue, candidate.Group.Bucket, candidate.Group.Cap is { } cap ? cap : DBNull.Value))
        {
            if (await entry.ExecuteScalarAsync(ct) is null) return (Attempt.EntryGone, 0);
        }

        string skills, capacityJson;
        await using (var agent = connection.Sql(
            "select skills, capacity from agents where id = $1 and status = 'available' for update skip locked", agentId))
        await using (var reader = await agent.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return (Attempt.AgentFull, 0);
            skills = reader.GetString(0);
            capacityJson = reader.GetString(1);
        }

        var bucket = candidate.Group.Bucket;
        var capacity = AgentStore.ParseLevels(capacityJson).GetValueOrDefault(bucket);
        var load = await QueueEntries.LoadAsync(connection, agentId, bucket, ct);
        if (load >= capacity || !Qualifies(AgentStore.ParseLevels(skills), candidate.Group.Required, candidate.Group.Cap))
            return (Attempt.AgentFull, 0);

        await QueueEntries.RemoveAsync(connection, conversation.Id, ct);
        await engine.AssignInTxAsync(connection, conversation, agentId, candidate.Group.Queue, "routing", now, ct);
        await tx.CommitAsync(ct);
        return (Attempt.Assigned, capacity - load - 1);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Assigned {Assigned} of {Candidates} candidate conversations to {Agents} agents with room")]
    private partial void LogPass(int assigned, int candidates, int agents);
}
