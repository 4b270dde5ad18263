-- One durable pipeline for the work that follows a commit (docs/pipeline.md). A row is written in the same
-- transaction as what causes it; a finished row is deleted; a row that kept failing stays, parked.
create table work_items (
    id              bigserial primary key,
    -- What to run: 'event' (the timeline reactions of event_id) or a handler's own kind ('bot.timeout', …).
    kind            text not null,
    -- Items with the same key run one at a time, in (order_at, id) order; other keys run side by side.
    ordering_key    text not null,
    order_at        timestamptz not null,
    -- Not before this time (its due time, or the next try after a failure).
    due_at          timestamptz not null,
    status          text not null default 'pending' check (status in ('pending', 'running', 'parked')),
    attempts        integer not null default 0,
    -- A running item belongs to one instance while its heartbeat keeps the lease fresh.
    lease_owner     text,
    lease_until     timestamptz,
    conversation_id uuid,
    event_id        bigint references timeline_events (id),
    payload         jsonb not null default '{}',
    -- The customer's message time of an item that may still put a conversation in a queue: assignment holds
    -- back conversations waiting since later than this until the item is done (queue order = message time).
    queue_barrier   timestamptz,
    created_at      timestamptz not null,
    last_error      text
);
create index work_items_due on work_items (due_at, id) where status = 'pending';
create index work_items_key on work_items (ordering_key, order_at, id) where status <> 'parked';
create index work_items_leases on work_items (lease_until) where status = 'running';
create index work_items_barrier on work_items (queue_barrier) where queue_barrier is not null and status <> 'parked';
create index work_items_parked on work_items (id) where status = 'parked';

-- NOTIFY is transactional: listeners wake only after the work is committed.
create function work_items_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('cc_work', '');
    return null;
end $$;
create trigger work_items_notify after insert on work_items
    for each statement execute function work_items_notify();

-- Reaction work not done yet moves over; the old table and its trigger go.
insert into work_items (kind, ordering_key, order_at, due_at, attempts, conversation_id, event_id, queue_barrier, created_at, last_error)
select 'event', coalesce(t.conversation_id::text, 'customer:' || t.customer_id::text), p.created_at,
       least(coalesce(p.claimed_until, p.created_at), p.created_at + interval '1 hour'), p.attempts, t.conversation_id, t.id,
       case when t.type = 'message.received' and t.conversation_id is not null then t.occurred_at end, p.created_at, p.last_error
from pending_reactions p join timeline_events t on t.id = p.event_id
order by p.event_id;
drop trigger pending_reactions_notify on pending_reactions;
drop function pending_reactions_notify();
drop table pending_reactions;
