-- The agent desk: canned replies, tags, who has read what, who has a conversation open, and the change feed
-- the desk pages listen to.

-- The team's library of replies. Variables in braces ({customer.firstName}, {agent.name}, {order.number})
-- are filled in for the conversation before the agent sends.
create table canned_replies (
    id         uuid primary key,
    title      text not null,
    text       text not null,
    language   text not null,
    created_by text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index canned_replies_listing on canned_replies (language, lower(title));

create table conversation_tags (
    conversation_id uuid not null references conversations (id),
    tag             text not null,
    added_by        text not null,
    added_at        timestamptz not null,
    primary key (conversation_id, tag)
);
create index conversation_tags_tag on conversation_tags (tag);

-- The last timeline event each agent has seen in a conversation: what is newer is unread.
create table desk_reads (
    agent_id        text not null,
    conversation_id uuid not null references conversations (id),
    last_event_id   bigint not null,
    primary key (agent_id, conversation_id)
);

-- One row per open desk page (its heartbeat): which conversation it shows. No heartbeat for Desk:AwayAfter
-- and the row goes; the agent becomes away.
create table desk_sessions (
    session_id      uuid primary key,
    agent_id        text not null,
    conversation_id uuid,
    seen_at         timestamptz not null
);
create index desk_sessions_agent on desk_sessions (agent_id);
create index desk_sessions_conversation on desk_sessions (conversation_id) where conversation_id is not null;

-- Whether agents may pick waiting conversations from the queue themselves in the desk.
alter table routing_queues add column agents_may_pick boolean not null default true;

alter table customers add column email text;

-- Notes that mention agents ("@agent-2"), for the mentioned agent's inbox.
create index timeline_events_mentions on timeline_events using gin ((data -> 'mentions')) where type = 'note.added';
-- The inbox's "last message" and unread counts look up a conversation's newest events.
create index timeline_events_conversation_type on timeline_events (conversation_id, type, id);

-- Every committed timeline event is announced to the desks (ids and types only, never customer text).
-- NOTIFY is transactional, so a desk hears of an event only once it is stored.
create function timeline_events_desk_notify() returns trigger language plpgsql as $$
declare
    c_assignee text;
    c_queue text;
    c_status text;
begin
    select assignee, queue, status into c_assignee, c_queue, c_status from conversations where id = new.conversation_id;
    perform pg_notify('cc_desk', json_build_object(
        'type', 'timeline', 'eventType', new.type, 'eventId', new.id, 'conversationId', new.conversation_id,
        'customerId', new.customer_id, 'assignee', c_assignee, 'queue', c_queue, 'status', c_status,
        'mentions', case when new.type = 'note.added' then new.data -> 'mentions' end)::text);
    return null;
end $$;
create trigger timeline_events_desk_notify after insert on timeline_events
    for each row execute function timeline_events_desk_notify();
