-- Routing: queues, agents, conversations waiting in queues; response clocks (the deadline table).
-- Lock order everywhere: customer (share), conversation, queue entry, agent / response clock.

create table routing_queues (
    name            text primary key,
    -- Added to each waiting conversation's own priority: the order in which agents are served.
    priority        integer not null default 0,
    -- Skill name → minimum level an agent needs: {"billing": 2}.
    required_skills jsonb not null default '{}'::jsonb,
    -- A BusinessHoursDefinition; null means always open. Response clocks pause outside the hours.
    business_hours  jsonb,
    -- Response-target overrides: { "firstResponse", "nextResponse", "resolution", "channels": { "<channel>": { … } } }.
    targets         jsonb not null default '{}'::jsonb,
    -- Timed steps, counted from entering the queue: [{ "after": "00:01:00", "acceptSkillLevel": 1 }, { "after": "00:02:00", "overflowTo": "x" }].
    steps           jsonb not null default '[]'::jsonb,
    -- What a breach does besides recording it: { "raisePriority": 10, "overflowTo": "x", "notifySupervisors": true }.
    escalation      jsonb not null default '{}'::jsonb,
    created_at      timestamptz not null,
    updated_at      timestamptz not null
);

create table agents (
    id                text primary key,
    name              text not null,
    -- Skill name → level: {"billing": 3, "spanish": 1}.
    skills            jsonb not null default '{}'::jsonb,
    -- Capacity bucket → how many conversations at once: {"voice": 1, "messaging": 3}.
    capacity          jsonb not null default '{}'::jsonb,
    status            text not null,
    status_changed_at timestamptz not null,
    -- Ties between equally free agents go to the one idle longest: reset by an assignment, a release, a return.
    idle_since        timestamptz not null,
    created_at        timestamptz not null,
    updated_at        timestamptz not null
);
create index agents_available on agents (status) where status = 'available';
-- An agent's load is counted from the conversations themselves (never a counter that can drift).
create index conversations_open_assigned on conversations (assignee, channel) where closed_at is null and assignee is not null;

-- Conversations waiting for an agent. The row is the token: whoever deletes it (under its lock) assigns it.
create table queue_entries (
    conversation_id uuid primary key references conversations (id),
    queue           text not null,
    channel         text not null,
    bucket          text not null,
    -- The conversation's own priority; rank = queue priority + this, the order of service.
    priority        integer not null,
    rank            integer not null,
    -- When the conversation first started waiting for an agent (kept across overflow).
    waiting_since   timestamptz not null,
    -- When it entered this queue: step timeouts count from here.
    entered_at      timestamptz not null,
    -- Lowered by an "accept skill level N" step: each required skill needs at most this level.
    skill_level_cap integer,
    steps_done      integer not null default 0,
    -- When the next step falls due: a Hangfire job runs it; a sweep catches a job that was lost.
    next_step_at    timestamptz,
    reason          text
);
create index queue_entries_order on queue_entries (queue, bucket, skill_level_cap, rank desc, waiting_since);
create index queue_entries_steps on queue_entries (next_step_at) where next_step_at is not null;

-- One row per response clock. Also the deadline table: next_check_at is when the clock next needs looking at
-- (its warning, then its breach), polled with FOR UPDATE SKIP LOCKED by every instance.
create table response_clocks (
    id              bigint generated always as identity primary key,
    conversation_id uuid not null references conversations (id),
    kind            text not null,
    channel         text not null,
    queue           text,
    -- The timeline event the clock counts from (the customer's message, call.queued): a breach is keyed by it.
    started_by      bigint not null,
    started_at      timestamptz not null,
    target          interval not null,
    -- Null when the queue's business hours never open again (the clock stays paused).
    warn_at         timestamptz,
    due_at          timestamptz,
    next_check_at   timestamptz,
    lease_until     timestamptz,
    stopped_at      timestamptz,
    stopped_by      bigint,
    stop_reason     text,
    warned_at       timestamptz,
    breached_at     timestamptz,
    unique (kind, started_by)
);
-- At most one running response clock (first or next) and one running resolution clock per conversation.
create unique index response_clocks_one_response on response_clocks (conversation_id)
    where stopped_at is null and kind <> 'resolution';
create unique index response_clocks_one_resolution on response_clocks (conversation_id)
    where stopped_at is null and kind = 'resolution';
create index response_clocks_due on response_clocks (next_check_at) where next_check_at is not null;
create index response_clocks_conversation on response_clocks (conversation_id);
create index response_clocks_queue_day on response_clocks (queue, started_at);
