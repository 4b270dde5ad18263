-- Telegram allows a bot about 1 message/s per chat and 30/s overall. Every instance reserves its send slot
-- here (one row per chat, plus the row '*' for the whole bot), so the limits hold across instances.
-- Unlogged: the rows are only pacing hints, worth nothing after a crash, and written on every send.
create unlogged table telegram_send_pacing (
    key     text primary key,
    next_at timestamptz not null
);
create index telegram_send_pacing_next_at on telegram_send_pacing (next_at);
