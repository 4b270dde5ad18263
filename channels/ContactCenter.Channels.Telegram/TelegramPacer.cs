using ContactCenter.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContactCenter.Channels.Telegram;

/// <summary>
/// Keeps sends within Telegram's limits (about 1 message/s per chat, 30/s per bot) across every instance:
/// each send reserves the next free slot of its chat and of the bot in <c>telegram_send_pacing</c>, in one
/// short transaction. A slot within <see cref="TelegramOptions.MaxPacingWait"/> is waited for in-process;
/// a later one is not taken, and the caller hands the message back to the outbox to retry when it comes.
/// </summary>
internal sealed class TelegramPacer(NpgsqlDataSource db, IOptions<TelegramOptions> options, TimeProvider clock)
{
    private const string BotKey = "*";
    private long _lastPruneTicks;

    /// <summary>How long to wait before sending (a slot is reserved), or null with the wait that was refused.</summary>
    public async Task<(bool Reserved, TimeSpan Wait)> ReserveAsync(string chatId, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var botInterval = TimeSpan.FromSeconds(1.0 / Math.Max(1, o.MessagesPerSecond));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var chatSlot = await ReserveSlotAsync(connection, "chat:" + chatId, now, o.PerChatInterval, ct);
        var botSlot = await ReserveSlotAsync(connection, BotKey, now, botInterval, ct);
        var wait = (chatSlot > botSlot ? chatSlot : botSlot) - now;
        if (wait > o.MaxPacingWait)
        {
            // Not ours to take yet: leave both rows as they were.
            await tx.RollbackAsync(ct);
            return (false, wait - o.MaxPacingWait / 2);
        }

        await tx.CommitAsync(ct);
        await PruneAsync(connection, now, ct);
        return (true, wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
    }

    /// <summary>The slot granted: the row's next free time, or now when that has passed; the row moves one interval on.</summary>
    private static async Task<DateTimeOffset> ReserveSlotAsync(NpgsqlConnection connection, string key, DateTimeOffset now, TimeSpan interval, CancellationToken ct)
    {
        await using var command = connection.Sql("""
            insert into telegram_send_pacing (key, next_at) values ($1, $2 + $3)
            on conflict (key) do update set next_at = greatest(telegram_send_pacing.next_at, $2) + $3
            returning next_at - $3
            """, key, now, interval);
        var slot = (DateTime)(await command.ExecuteScalarAsync(ct))!;
        return new DateTimeOffset(slot, TimeSpan.Zero);
    }

    /// <summary>Chats idle for a minute need no row; pruned at most once a minute per instance.</summary>
    private async Task PruneAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        var last = Interlocked.Read(ref _lastPruneTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerMinute || Interlocked.CompareExchange(ref _lastPruneTicks, now.UtcTicks, last) != last) return;
        await connection.Sql("delete from telegram_send_pacing where next_at < $1 and key <> $2", now - TimeSpan.FromMinutes(1), BotKey)
            .ExecuteNonQueryAsync(ct);
    }
}
