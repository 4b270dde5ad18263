-- Voice calls (issue 4): which conversation each call (CallSid) belongs to, its latest status in Twilio's
-- SequenceNumber order, where it waits, and the callbacks callers asked for. Conversation ids are not foreign
-- keys: a customer merge folds conversations, and readers follow merged_into like every other writer.
create table voice_calls (
    call_sid         text primary key,
    conversation_id  uuid not null,
    customer_id      uuid not null,
    direction        text not null check (direction in ('inbound', 'callback')),
    -- E.164, or 'anonymous' (withheld or unparseable caller id).
    caller           text not null,
    company_number   text,
    language         text,
    started_at       timestamptz not null,
    status           text not null,
    status_sequence  integer not null default -1,
    queue            text,
    queued_at        timestamptz,
    -- A <Record> was given to the caller: the call's end does not close the conversation (the recording follows).
    voicemail_queue  text,
    voicemail_at     timestamptz,
    agent_id         text,
    -- The conversation.assigned event the live call was last redirected for (the redirect is done once per event).
    connect_event_id bigint,
    connected_at     timestamptz,
    ended_at         timestamptz,
    duration_seconds integer
);
create index voice_calls_conversation on voice_calls (conversation_id, started_at desc);

-- "Call me back": the conversation keeps its place in the queue; when an agent gets it, a job places the call.
create table voice_callbacks (
    conversation_id uuid primary key,
    requested_by    text not null,
    number          text not null,
    company_number  text,
    queue           text not null,
    requested_at    timestamptz not null,
    state           text not null check (state in ('waiting', 'placing', 'placed', 'failed')),
    agent_id        text,
    assigned_event  bigint,
    attempts        integer not null default 0,
    lease_until     timestamptz,
    call_sid        text,
    last_error      text,
    updated_at      timestamptz not null
);
