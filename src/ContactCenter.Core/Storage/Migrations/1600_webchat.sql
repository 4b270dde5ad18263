-- Web chat: the visitors a widget started (each with its own secret token) and the change feed their live
-- connections hear.

-- One row per visitor session. The token is never stored, only its SHA-256; the address is the visitor's
-- webchat identity (customer_identities.address): a random id for an anonymous visitor, a hash of the
-- website's user id for a verified one (so one user on two devices is one customer).
create table webchat_visitors (
    id          uuid primary key,
    widget      text not null,
    token_hash  bytea not null unique,
    address     text not null,
    verified    boolean not null default false,
    name        text,
    -- What the pre-chat form asked (name, email, topic): the visitor's own words, never used to link customers.
    pre_chat    jsonb not null default '{}',
    language    text,
    created_at  timestamptz not null,
    seen_at     timestamptz not null
);
create index webchat_visitors_address on webchat_visitors (address);

-- Every committed webchat timeline event is announced with the visitor's address and the event id (never the
-- text): each instance's listener wakes the visitor's live connection, which reads what it has not sent yet.
create function timeline_events_webchat_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('cc_webchat', json_build_object(
        'address', (select customer_address from conversations where id = new.conversation_id),
        'conversationId', new.conversation_id, 'eventId', new.id)::text);
    return null;
end $$;
create trigger timeline_events_webchat_notify after insert on timeline_events
    for each row when (new.channel = 'webchat') execute function timeline_events_webchat_notify();
