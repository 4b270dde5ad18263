-- Where each call (keyed by its CallSid) or conversation (keyed by its id) stands in its flow. A row is only
-- written with the version its writer read (optimistic concurrency), so two webhooks for one call cannot both
-- advance it: the second finds the version moved and is told so.
create table flow_sessions (
    session_key text primary key,
    flow        text not null,
    node        text not null,
    language    text not null,
    waiting     text not null check (waiting in ('input', 'action', 'ended')),
    -- No-input and wrong answers so far at the node: a question repeats, then falls back.
    attempts    integer not null default 0,
    variables   jsonb not null default '{}'::jsonb,
    -- The last turn's output (prompts, question, actions), so a retried webhook can be answered again unchanged.
    last_step   jsonb not null,
    version     integer not null,
    started_at  timestamptz not null,
    updated_at  timestamptz not null,
    ended_at    timestamptz
);
