-- Proactive notifications: one row per request, one per recipient (a batch has up to 10,000). Each recipient
-- walks its channel list: skipped with a reason, or sent through the outbox and watched until delivered,
-- failed, or not delivered within fallback_after, then the next channel. Every step is on the timeline.

create table notifications (
    id              uuid primary key,
    -- One notification per key: a retried request gets the first one back.
    idempotency_key text unique,
    request_hash    text not null,
    channels        text[] not null,
    -- Per channel: { "sms": { "text" }, "whatsapp": { "template": { "contentSid", "variables" } | "text" }, ... }.
    content         jsonb not null,
    fallback_after  interval not null,
    -- { "start": "21:00", "end": "08:00" } in each recipient's time zone; null: none.
    quiet_hours     jsonb,
    total           integer not null,
    created_by      text not null,
    created_at      timestamptz not null,
    cancelled_at    timestamptz
);

create table notification_recipients (
    id              uuid primary key,
    notification_id uuid not null references notifications (id),
    position        integer not null,
    -- Either the customer, or a channel address (the customer is found or created when the first step runs).
    customer_id     uuid references customers (id),
    to_channel      text,
    to_address      text,
    time_zone       text,
    -- pending (no message out yet), sending (a message out, watched), delivered, failed, cancelled.
    status          text not null,
    -- Index into the notification's channels of the channel being tried (or next to try).
    step            integer not null default 0,
    message_id      uuid,
    conversation_id uuid,
    -- When the message being watched counts as not delivered, and the next channel is tried.
    fallback_at     timestamptz,
    -- A send slot reserved under the channel's rate limit for this step.
    paced_step      integer,
    paced_at        timestamptz,
    -- When a worker must look at it next; null while nothing can change without a status callback.
    next_step_at    timestamptz,
    lease_until     timestamptz,
    -- [{ "channel", "status", "reason"?, "messageId"?, "at" }]: the API's attempts.
    attempts        jsonb not null default '[]'::jsonb,
    updated_at      timestamptz not null,
    unique (notification_id, position)
);
create index notification_recipients_due on notification_recipients (next_step_at) where next_step_at is not null;
create index notification_recipients_message on notification_recipients (message_id) where message_id is not null;
create index notification_recipients_progress on notification_recipients (notification_id, status);

-- The next free send slot per channel (rate limits hold across instances).
create table notification_pacing (
    channel   text primary key,
    next_slot timestamptz not null
);
