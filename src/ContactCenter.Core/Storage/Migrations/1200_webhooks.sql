-- Event webhooks out: subscriptions and their deliveries. A delivery row is written by a trigger in the same
-- transaction as the timeline event (or conversation row) it carries, so a committed event is never lost
-- between the commit and the send, whichever code path (inbox, outbox, routing, voice) appended it.

create table webhook_subscriptions (
    id              uuid primary key,
    url             text not null,
    -- The raw key bytes: signing needs them back (the API shows them once as whsec_ + base64).
    secret          bytea not null,
    events          text[] not null,
    -- Null means any queue / any channel.
    queues          text[],
    channels        text[],
    created_by      text not null,
    created_at      timestamptz not null,
    -- Since when every delivery has failed (null after a success): Webhooks:DisableAfter counts from here.
    failing_since   timestamptz,
    disabled_at     timestamptz,
    disabled_reason text
);
create index webhook_subscriptions_active on webhook_subscriptions using gin (events) where disabled_at is null;

create table webhook_deliveries (
    id               bigint generated always as identity primary key,
    subscription_id  uuid not null references webhook_subscriptions (id) on delete cascade,
    event_type       text not null,
    -- Deliveries with one key reach one subscriber in order: the conversation (or the customer, for events
    -- without one).
    ordering_key     uuid not null,
    -- The event in the API's shape, fixed when it happened: every attempt sends the same body.
    payload          jsonb not null,
    created_at       timestamptz not null,
    -- pending (waiting or in flight), delivered, failed (given up, 4xx, 410, refused target).
    status           text not null default 'pending',
    attempts         integer not null default 0,
    -- Webhooks:RetryFor counts from here: the event's time, or the last replay.
    retrying_since   timestamptz not null,
    replays          integer not null default 0,
    next_attempt_at  timestamptz not null,
    lease_until      timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    last_duration_ms integer,
    delivered_at     timestamptz
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at, id) where status = 'pending';
create index webhook_deliveries_lane on webhook_deliveries (subscription_id, ordering_key, id) where status = 'pending';
create index webhook_deliveries_log on webhook_deliveries (subscription_id, id desc);

-- Every appended timeline event fans out to the subscriptions that want its type (and its channel and queue).
create function webhook_fan_out_event() returns trigger language plpgsql as $$
begin
    insert into webhook_deliveries (subscription_id, event_type, ordering_key, payload, created_at, retrying_since, next_attempt_at)
    select s.id, new.type, coalesce(new.conversation_id, new.customer_id),
           jsonb_build_object('id', new.id, 'customerId', new.customer_id, 'conversationId', new.conversation_id,
                              'channel', new.channel, 'type', new.type, 'direction', new.direction,
                              'occurredAt', new.occurred_at, 'text', new.text, 'providerId', new.provider_id, 'data', new.data),
           new.recorded_at, new.recorded_at, new.recorded_at
    from webhook_subscriptions s
    where s.disabled_at is null and s.events @> array[new.type]
      and (s.channels is null or new.channel = any (s.channels))
      and (s.queues is null or (select c.queue from conversations c where c.id = new.conversation_id) = any (s.queues));
    -- Only when something was written: NOTIFY takes a queue lock at commit, which every event would pay for.
    -- It is transactional, so the worker wakes once the event is committed.
    if found then perform pg_notify('cc_webhooks', ''); end if;
    return null;
end $$;
create trigger webhook_fan_out_event after insert on timeline_events
    for each row execute function webhook_fan_out_event();

-- Conversation lifecycle events that have no timeline event of their own: created, reopened.
create function webhook_fan_out_conversation() returns trigger language plpgsql as $$
declare
    kind text;
    at   timestamptz;
begin
    if tg_op = 'INSERT' then
        kind := 'conversation.created';
        at := new.opened_at;
    elsif old.closed_at is not null and new.closed_at is null then
        -- Nothing reopens a conversation today (a new message opens a new one); kept for when something does.
        kind := 'conversation.reopened';
        at := now();
    else
        return null;
    end if;
    insert into webhook_deliveries (subscription_id, event_type, ordering_key, payload, created_at, retrying_since, next_attempt_at)
    select s.id, kind, new.id,
           jsonb_build_object('id', new.id, 'customerId', new.customer_id, 'channel', new.channel, 'status', new.status,
                              'queue', new.queue, 'assignee', new.assignee, 'priority', new.priority,
                              'openedAt', new.opened_at, 'closedAt', new.closed_at),
           at, at, at
    from webhook_subscriptions s
    where s.disabled_at is null and s.events @> array[kind]
      and (s.channels is null or new.channel = any (s.channels))
      and (s.queues is null or new.queue = any (s.queues));
    if found then perform pg_notify('cc_webhooks', ''); end if;
    return null;
end $$;
create trigger webhook_fan_out_conversation after insert or update of closed_at on conversations
    for each row execute function webhook_fan_out_conversation();
