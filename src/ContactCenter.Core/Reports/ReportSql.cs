using Npgsql;
using NpgsqlTypes;

namespace ContactCenter.Core.Reports;

/// <summary>The filters every report applies to the conversation (alias <c>c</c>), as named parameters.</summary>
internal static class ReportSql
{
    /// <summary>
    /// Conversations that only carried the answer to the satisfaction question of an earlier one (the bot closes such a
    /// conversation at once and records <c>csat.response</c> on the earlier one, keyed <c>csat:bot:{answering message id}</c>):
    /// not new contacts. A CTE found from the survey answers, so a report anti-joins it once instead of probing every
    /// message of every conversation it reads.
    /// </summary>
    public const string SurveyAnswers = """
        survey_answers as (
            select m.conversation_id as id from timeline_events s
            join timeline_events m on m.id = substr(s.dedupe_key, 10)::bigint
            where s.type = 'csat.response' and s.dedupe_key ~ '^csat:bot:[0-9]{1,18}$'
              and m.type = 'message.received' and m.conversation_id <> s.conversation_id)
        """;

    /// <summary>The conversation <paramref name="alias"/> is not a survey answer (needs <see cref="SurveyAnswers"/>).</summary>
    public static string NotSurveyAnswer(string alias) => $"not exists (select 1 from survey_answers a where a.id = {alias}.id)";

    /// <summary>Whether the query filters by the conversation: without, rows need not be joined to it.</summary>
    public static bool FiltersConversation(ReportQuery query) =>
        query.Channel is not null || query.Queue is not null || query.Agent is not null || query.Tag is not null;

    public static string Filter(bool tagsExist) => $"""
        (@channel::text is null or c.channel = @channel) and (@queue::text is null or c.queue = @queue)
        and (@agent::text is null or c.assignee = @agent)
        and (@tag::text is null or {(tagsExist ? "exists (select 1 from conversation_tags t where t.conversation_id = c.id and t.tag = @tag)" : "false")})
        """;

    /// <summary>
    /// Tags (conversation_tags) come with the agent desk; until that table exists a tag filter selects nothing.
    /// </summary>
    public static async Task<bool> TagsExistAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select to_regclass('conversation_tags') is not null", connection);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, ReportQuery query, DateTimeOffset? readFrom = null, DateTimeOffset? readTo = null)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter("start", NpgsqlDbType.TimestampTz) { Value = (readFrom ?? query.Start).UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter("end", NpgsqlDbType.TimestampTz) { Value = (readTo ?? query.End).UtcDateTime });
        command.Parameters.Add(Text("channel", query.Channel));
        command.Parameters.Add(Text("queue", query.Queue));
        command.Parameters.Add(Text("agent", query.Agent));
        command.Parameters.Add(Text("tag", query.Tag));
        command.Parameters.Add(new NpgsqlParameter("tz", NpgsqlDbType.Text) { Value = query.Zone.Id });
        command.Parameters.Add(new NpgsqlParameter("grain", NpgsqlDbType.Text) { Value = query.By == ReportGrain.Day ? "day" : "hour" });
        return command;
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}
