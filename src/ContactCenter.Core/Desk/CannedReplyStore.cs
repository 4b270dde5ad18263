using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContactCenter.Core.Storage;
using Npgsql;

namespace ContactCenter.Core.Desk;

public sealed record CannedReply(Guid Id, string Title, string Text, string Language, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The variables the text uses, e.g. ["customer.firstName", "order.number"].</summary>
    public IReadOnlyList<string> Variables => CannedReplyText.Variables(Text);
}

public sealed record CannedReplyInput(string Title, string Text, string Language);

/// <summary>A canned reply with its variables filled in for one conversation; <c>Missing</c> were left as written.</summary>
public sealed record FilledReply(Guid Id, string Text, IReadOnlyList<string> Missing);

/// <summary>The team's canned replies (table <c>canned_replies</c>): agents read, supervisors write.</summary>
public sealed class CannedReplyStore(NpgsqlDataSource db, TimeProvider clock)
{
    private const string Columns = "id, title, text, language, created_by, created_at, updated_at";

    /// <summary>Replies whose title or text contains <paramref name="query"/> (any case), titles first, in one language or all.</summary>
    public async Task<IReadOnlyList<CannedReply>> SearchAsync(string? query, string? language, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var pattern = string.IsNullOrWhiteSpace(query) ? null : "%" + Like(query.Trim()) + "%";
        await using var command = connection.Sql($"""
            select {Columns} from canned_replies
            where ($1::text is null or title ilike $1 or text ilike $1) and ($2::text is null or language = $2)
            order by ($1::text is not null and title ilike $1) desc, lower(title), id
            limit $3
            """, Db.Text(pattern), Db.Text(language), limit);
        return await ReadAllAsync(command, ct);
    }

    public async Task<CannedReply?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"select {Columns} from canned_replies where id = $1", id);
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    public async Task<CannedReply> CreateAsync(CannedReplyInput input, string by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            insert into canned_replies (id, title, text, language, created_by, created_at, updated_at)
            values ($1, $2, $3, $4, $5, $6, $6) returning {Columns}
            """, Guid.CreateVersion7(now), input.Title, input.Text, input.Language, by, now);
        return (await ReadAllAsync(command, ct)).Single();
    }

    public async Task<CannedReply?> UpdateAsync(Guid id, CannedReplyInput input, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql($"""
            update canned_replies set title = $2, text = $3, language = $4, updated_at = $5 where id = $1 returning {Columns}
            """, id, input.Title, input.Text, input.Language, clock.GetUtcNow());
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.Sql("delete from canned_replies where id = $1", id).ExecuteNonQueryAsync(ct) > 0;
    }

    private static string Like(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static async Task<IReadOnlyList<CannedReply>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var list = new List<CannedReply>();
        await using (command)
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                list.Add(new CannedReply(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.Instant(5), reader.Instant(6)));
        }

        return list;
    }
}

/// <summary>Variables in canned replies: <c>{customer.firstName}</c>, <c>{agent.name}</c>, handoff slots such as <c>{order.number}</c>.</summary>
public static partial class CannedReplyText
{
    public static IReadOnlyList<string> Variables(string text) =>
        VariablePattern().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();

    /// <summary>What the variables of one conversation are worth: customer, agent, and the handoff's slots.</summary>
    public static Dictionary<string, string> ValuesFor(string? customerName, string? agentName, JsonObject? handoff)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (handoff?["slots"] is JsonObject slots)
        {
            foreach (var (key, value) in slots)
                if (value is JsonValue v && v.ToString() is { Length: > 0 } text) values[key] = text;
        }

        if (!string.IsNullOrWhiteSpace(customerName))
        {
            values["customer.name"] = customerName.Trim();
            values["customer.firstName"] = customerName.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        }

        if (!string.IsNullOrWhiteSpace(agentName))
        {
            values["agent.name"] = agentName.Trim();
            values["agent.firstName"] = agentName.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        }

        return values;
    }

    /// <summary>Fills what is known; unknown variables stay as written and are named in the result.</summary>
    public static (string Text, IReadOnlyList<string> Missing) Fill(string text, IReadOnlyDictionary<string, string> values)
    {
        var missing = new List<string>();
        var filled = VariablePattern().Replace(text, m =>
        {
            if (values.TryGetValue(m.Groups[1].Value, out var value)) return value;
            if (!missing.Contains(m.Groups[1].Value)) missing.Add(m.Groups[1].Value);
            return m.Value;
        });
        return (filled, missing);
    }

    [GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")]
    private static partial Regex VariablePattern();
}
