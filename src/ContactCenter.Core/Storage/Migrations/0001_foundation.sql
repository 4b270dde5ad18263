-- Foundation: customers and their identities, conversations, the timeline, the outbox.
-- Timestamps always come from the application's clock (TimeProvider), never now(), so tests can steer time.

create table customers (
    id          uuid primary key,
    name        text,
    created_at  timestamptz not null,
    -- A merged customer stays as a tombstone pointing at the survivor, so old ids and in-flight writes
    -- can follow it instead of failing.
    merged_into uuid references customers (id),
    merged_at   timestamptz
);

create table customer_identities (
    channel      text not null,
    address      text not null,
    -- Deferred so a new identity can be claimed (unique key) before its customer row is written.
    customer_id  uuid not null references customers (id) deferrable initially deferred,
    opted_out    boolean not null default false,
    opted_out_at timestamptz,
    created_at   timestamptz not null,
    primary key (channel, address)
);
create index customer_identities_customer on customer_identities (customer_id);
-- One phone number over sms, whatsapp and voice is one customer: looked up by address alone.
create index customer_identities_address on customer_identities (address);

create table conversations (
    id               uuid primary key,
    customer_id      uuid not null references customers (id),
    channel          text not null,
    customer_address text not null,
    -- The company's side: the number, WhatsApp sender, page or bot the customer wrote to; replies go from it.
    company_address  text,
    status           text not null,
    queue            text,
    assignee         text,
    priority         integer not null default 0,
    opened_at        timestamptz not null,
    closed_at        timestamptz,
    merged_into      uuid references conversations (id),
    handoff          jsonb
);
-- At most one open conversation per customer and channel: concurrent first messages meet here.
create unique index conversations_one_open on conversations (customer_id, channel) where closed_at is null;
create index conversations_customer on conversations (customer_id, opened_at desc);
create index conversations_listing on conversations (opened_at desc, id desc);
create index conversations_open_queue on conversations (queue) where closed_at is null;
create index conversations_open_assignee on conversations (assignee) where closed_at is null;

create table timeline_events (
    id              bigint generated always as identity primary key,
    customer_id     uuid not null references customers (id),
    conversation_id uuid references conversations (id),
    channel         text,
    type            text not null,
    direction       text not null,
    occurred_at     timestamptz not null,
    recorded_at     timestamptz not null,
    text            text,
    provider_id     text,
    -- The provider's event identity (e.g. twilio:SM…, twilio:CA…:completed): a retried webhook is stored once.
    dedupe_key      text,
    data            jsonb not null default '{}'::jsonb
);
create unique index timeline_events_dedupe on timeline_events (dedupe_key);
create index timeline_events_customer on timeline_events (customer_id, occurred_at desc, id desc);
create index timeline_events_conversation on timeline_events (conversation_id, id);

-- The timeline is append-only. A merge may move an event to the surviving customer and conversation;
-- nothing else about an event ever changes, and nothing is deleted.
create function timeline_events_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'timeline events are append-only (event %)', old.id;
    end if;
    if (new.id, new.channel, new.type, new.direction, new.occurred_at, new.recorded_at, new.text,
        new.provider_id, new.dedupe_key, new.data)
       is distinct from
       (old.id, old.channel, old.type, old.direction, old.occurred_at, old.recorded_at, old.text,
        old.provider_id, old.dedupe_key, old.data) then
        raise exception 'timeline events are append-only (event %): only a merge may move one', old.id;
    end if;
    return new;
end $$;
create trigger timeline_events_append_only before update or delete on timeline_events
    for each row execute function timeline_events_append_only();

-- Events that after-commit reactions (routing, response clocks, the bot) still have to see.
-- Written in the same transaction as the event, so a crash between commit and reaction loses nothing.
create table pending_reactions (
    event_id      bigint primary key references timeline_events (id),
    created_at    timestamptz not null,
    attempts      integer not null default 0,
    claimed_until timestamptz,
    last_error    text
);
create index pending_reactions_due on pending_reactions (claimed_until nulls first, event_id);
-- NOTIFY is transactional: listeners wake only after the event is committed.
create function pending_reactions_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('cc_reactions', '');
    return null;
end $$;
create trigger pending_reactions_notify after insert on pending_reactions
    for each statement execute function pending_reactions_notify();

create table outbound_messages (
    id                  uuid primary key,
    conversation_id     uuid not null references conversations (id),
    customer_id         uuid not null references customers (id),
    channel             text not null,
    to_address          text not null,
    from_address        text,
    idempotency_key     text not null,
    author              text not null,
    author_kind         text not null,
    text                text,
    content             jsonb not null default '{}'::jsonb,
    status              text not null,
    attempts            integer not null default 0,
    next_attempt_at     timestamptz not null,
    lease_until         timestamptz,
    provider_message_id text,
    error_code          text,
    error_message       text,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,
    unique (conversation_id, idempotency_key)
);
create index outbound_messages_unfinished on outbound_messages (next_attempt_at)
    where status in ('pending', 'dispatching');
create unique index outbound_messages_provider on outbound_messages (channel, provider_message_id)
    where provider_message_id is not null;
create index outbound_messages_conversation on outbound_messages (conversation_id, created_at);

-- ASP.NET Data Protection keys, shared by every instance so cookies minted by one are read by all.
create table data_protection_keys (
    friendly_name text primary key,
    xml           text not null
);
