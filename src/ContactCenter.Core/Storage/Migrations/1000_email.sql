-- The email channel: where each mailbox's watcher stands, the mail it has taken in or sent (threading,
-- originals, attachments) and the mail it kept aside. Mail is never deleted from the mailbox itself.

-- The IMAP position of each mailbox: UIDs only mean something within one UIDVALIDITY.
create table email_mailboxes (
    name         text primary key,
    uid_validity bigint not null,
    last_uid     bigint not null,
    updated_at   timestamptz not null
);

-- One row per conversation: the subject replies carry and the reference token in it ("[#token]").
create table email_threads (
    conversation_id uuid primary key references conversations (id),
    mailbox         text not null,
    subject         text not null,
    token           text not null unique,
    created_at      timestamptz not null
);

-- Every message taken in or sent, by Message-ID: In-Reply-To and References find the conversation here.
create table email_messages (
    message_id      text primary key,
    -- A URL-safe handle for the original and its attachments (a hash of the Message-ID).
    key             text not null unique,
    conversation_id uuid not null references conversations (id),
    direction       text not null,
    mailbox         text not null,
    subject         text,
    reference_ids   text[] not null default '{}',
    -- The message exactly as received (inbound only), for agents who need the full original.
    raw             bytea,
    created_at      timestamptz not null
);
create index email_messages_conversation on email_messages (conversation_id, created_at desc);

create table email_attachments (
    message_id   text not null references email_messages (message_id),
    ordinal      integer not null,
    file_name    text,
    content_type text not null,
    content_id   text,
    inline       boolean not null,
    size         bigint not null,
    content      bytea not null,
    primary key (message_id, ordinal)
);

-- Mail that opened nothing: 'rejected' (could not be taken in: malformed, too big, no sender) or
-- 'ignored' (auto-replies, bulk mail, bounces, our own address). One row per IMAP message.
create table email_set_aside (
    id           bigint generated always as identity primary key,
    mailbox      text not null,
    uid_validity bigint not null,
    uid          bigint not null,
    kind         text not null,
    reason       text not null,
    message_id   text,
    sender       text,
    subject      text,
    size         bigint,
    raw          bytea,
    created_at   timestamptz not null,
    unique (mailbox, uid_validity, uid)
);
create index email_set_aside_listing on email_set_aside (kind, id desc);
