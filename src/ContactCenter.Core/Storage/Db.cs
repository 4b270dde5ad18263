using Npgsql;
using NpgsqlTypes;

namespace ContactCenter.Core.Storage;

/// <summary>Small helpers over Npgsql: positional parameters ($1, $2 …) without ceremony.</summary>
public static class Db
{
    public static NpgsqlCommand Sql(this NpgsqlConnection connection, string sql, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, connection);
        AddArgs(command.Parameters, args);
        return command;
    }

    /// <summary>For statements with more than a few parameters: <c>@name</c> placeholders, named arguments.</summary>
    public static NpgsqlCommand SqlNamed(this NpgsqlConnection connection, string sql, params (string Name, object? Value)[] args)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in args)
        {
            var parameter = ToParameter(value);
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public static NpgsqlBatchCommand Batch(string sql, params object?[] args)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddArgs(command.Parameters, args);
        return command;
    }

    public static NpgsqlParameter Jsonb(string? json) =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)json ?? DBNull.Value };

    public static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Uuid(Guid? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = value is { } v ? v : DBNull.Value };

    public static NpgsqlParameter Timestamp(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.ToUniversalTime() : DBNull.Value };

    private static void AddArgs(NpgsqlParameterCollection parameters, object?[] args)
    {
        foreach (var arg in args) parameters.Add(ToParameter(arg));
    }

    private static NpgsqlParameter ToParameter(object? arg) => arg switch
    {
        NpgsqlParameter p => p,
        DateTimeOffset d => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = d.ToUniversalTime() },
        null => new NpgsqlParameter { Value = DBNull.Value },
        _ => new NpgsqlParameter { Value = arg },
    };

    public static T? Nullable<T>(this NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : reader.GetFieldValue<T>(ordinal);

    public static DateTimeOffset Instant(this NpgsqlDataReader reader, int ordinal) =>
        reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static DateTimeOffset? NullableInstant(this NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>PostgreSQL keeps microseconds; values compared against stored ones must be cut the same way.</summary>
    public static DateTimeOffset ToMicroseconds(this DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);
}
