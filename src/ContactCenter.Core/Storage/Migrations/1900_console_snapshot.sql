-- The live console (QueueMonitor) reads only what is decided today and what is breached now (index-only, with the
-- columns it counts by), instead of scanning three days of clocks per queue and every clock for alerts.
create index response_clocks_answered_day on response_clocks (queue, stopped_at) include (due_at, breached_at)
    where stop_reason = 'answered' and kind <> 'resolution';
create index response_clocks_breached_day on response_clocks (queue, breached_at) include (stop_reason, stopped_at)
    where breached_at is not null and kind <> 'resolution';
create index response_clocks_breached_running on response_clocks (breached_at desc)
    where breached_at is not null and stopped_at is null;
-- The head of each queue's line in the console's order, across buckets.
create index queue_entries_console on queue_entries (queue, rank desc, waiting_since);
