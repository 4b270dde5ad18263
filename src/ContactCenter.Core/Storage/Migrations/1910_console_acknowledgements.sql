-- A supervisor acknowledged a breach alert on the live console: stored here, so every supervisor on every instance
-- sees it (one row per breach: a clock breaches once).
create table breach_acknowledgements (
    clock_id        bigint primary key references response_clocks (id) on delete cascade,
    acknowledged_by text not null,
    acknowledged_at timestamptz not null
);

