using System.Collections.Concurrent;
using System.Net;
using ContactCenter.Core.Channels;
using ContactCenter.Core.Routing;
using ContactCenter.Core.Storage;

namespace ContactCenter.Tests.Routing;

/// <summary>Two service instances (two hosts, each with its own Hangfire server and workers) on one database.</summary>
public sealed class TwoHostsFixture : RoutingFixture
{
    private ContactCenterApp? _second;

    public ContactCenterApp Second => _second ?? throw new InvalidOperationException("The fixture is not initialized.");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _second = new ContactCenterApp(ConnectionString, Settings, ConfigureServices);
        _ = _second.Server;
    }

    public override async Task DisposeAsync()
    {
        if (_second is not null) await _second.DisposeAsync();
        await base.DisposeAsync();
    }
}

public class TwoHostRaceTests(TwoHostsFixture fx) : IClassFixture<TwoHostsFixture>, IAsyncLifetime
{
    private const int Conversations = 200;
    private const int Agents = 20;

    public Task InitializeAsync() => fx.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TwoHostsRacingOver200ConversationsAnd20AgentsNeverDoubleAssignNorExceedCapacity()
    {
        var hosts = new[] { fx.App, fx.Second };
        var random = new Random(5);
        var capacity = new Dictionary<string, int>();
        for (var i = 0; i < Agents; i++)
        {
            var id = $"race-{i:00}";
            capacity[id] = 1 + random.Next(3);
            await hosts[i % 2].CreateAgentAsync(id, capacity: new { messaging = capacity[id] });
        }

        using var stop = new CancellationTokenSource();
        var violations = new ConcurrentQueue<string>();
        var sampler = SampleLoadsAsync(capacity, violations, stop.Token);

        // Customers write and agents log in at the same time, through both hosts.
        var arrivals = Parallel.ForEachAsync(Enumerable.Range(0, Conversations), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => await hosts[i % 2].ReceiveAsync(Inbound.Message(Channel.Webchat, $"racer-{i:000}", $"race-msg-{i}")));
        var logins = Parallel.ForEachAsync(Enumerable.Range(0, Agents), new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (i, _) => await hosts[(i + 1) % 2].SetStatusAsync($"race-{i:00}", "available"));
        await Task.WhenAll(arrivals, logins);

        // A supervisor resolves what the agents get (any agent but the owner is refused), through either host, until every conversation was served.
        var resolved = 0;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (resolved < Conversations && DateTime.UtcNow < deadline)
        {
            var assigned = await OpenAssignedAsync();
            if (assigned.Count == 0)
            {
                await Task.Delay(20);
                continue;
            }

            await Parallel.ForEachAsync(assigned, new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (id, _) =>
            {
                var host = hosts[Random.Shared.Next(2)];
                await host.Supervisor().PostJsonAsync($"/api/conversations/{id}/resolve", new { }, HttpStatusCode.OK);
                Interlocked.Increment(ref resolved);
            });
        }

        await stop.CancelAsync();
        await sampler;
        Assert.Equal(Conversations, resolved);
        Assert.Empty(violations);

        await using var connection = await fx.Db.OpenConnectionAsync();
        // Exactly one assignment per conversation, to the agent the conversation names.
        await using (var command = connection.Sql("""
            select c.id, c.assignee, count(e.id), min(e.data->>'agentId'), max(e.data->>'agentId')
            from conversations c left join timeline_events e on e.conversation_id = c.id and e.type = 'conversation.assigned'
            group by c.id, c.assignee
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var rows = 0;
            while (await reader.ReadAsync())
            {
                rows++;
                Assert.Equal(1L, reader.GetInt64(2));
                Assert.Equal(reader.GetString(1), reader.GetString(3));
                Assert.Equal(reader.GetString(3), reader.GetString(4));
            }

            Assert.Equal(Conversations, rows);
        }

        // Replayed in commit-causal order (event ids), no agent ever held more than its capacity.
        await using (var command = connection.Sql("""
            select e.type, coalesce(e.data->>'agentId', c.assignee) from timeline_events e join conversations c on c.id = e.conversation_id
            where e.type in ('conversation.assigned', 'conversation.resolved') order by e.id
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var load = capacity.Keys.ToDictionary(k => k, _ => 0);
            while (await reader.ReadAsync())
            {
                var agent = reader.GetString(1);
                load[agent] += reader.GetString(0) == "conversation.assigned" ? 1 : -1;
                Assert.True(load[agent] <= capacity[agent], $"{agent} held {load[agent]} conversations with capacity {capacity[agent]}");
            }
        }

        Assert.Equal(0L, (long)(await connection.Sql("select count(*) from queue_entries").ExecuteScalarAsync())!);
        // Both instances did assign: the race was real.
        Assert.True(fx.App.Service<AssignmentPass>().Assigned > 0, "the first host assigned nothing");
        Assert.True(fx.Second.Service<AssignmentPass>().Assigned > 0, "the second host assigned nothing");
    }

    private async Task<List<Guid>> OpenAssignedAsync()
    {
        await using var connection = await fx.Db.OpenConnectionAsync();
        await using var command = connection.Sql("select id from conversations where closed_at is null and assignee is not null");
        var list = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add(reader.GetGuid(0));
        return list;
    }

    /// <summary>Consistent snapshots of every agent's open conversations, taken all through the race.</summary>
    private async Task SampleLoadsAsync(Dictionary<string, int> capacity, ConcurrentQueue<string> violations, CancellationToken ct)
    {
        await using var connection = await fx.Db.OpenConnectionAsync(CancellationToken.None);
        while (!ct.IsCancellationRequested)
        {
            await using (var command = connection.Sql("""
                select assignee, count(*)::int from conversations where closed_at is null and assignee is not null group by assignee
                """))
            await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None))
                {
                    if (reader.GetInt32(1) > capacity[reader.GetString(0)])
                        violations.Enqueue($"{reader.GetString(0)} had {reader.GetInt32(1)} > {capacity[reader.GetString(0)]}");
                }
            }

            try { await Task.Delay(5, ct); }
            catch (OperationCanceledException) { return; }
        }
    }
}
