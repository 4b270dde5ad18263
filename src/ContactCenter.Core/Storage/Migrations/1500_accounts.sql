-- People who sign in, their server-side sessions, one-time set-password links, API keys for other systems,
-- and the append-only audit trail.

create table users (
    id               uuid primary key,
    email            text not null,
    name             text not null,
    role             text not null,
    -- The agent this person answers as (assignments, replies); null for supervisors and admins who do not take work.
    agent_id         text,
    -- Queues this person works: an agent sees conversations waiting in these (and the ones assigned to them).
    queues           text[] not null default '{}',
    -- ASP.NET Core Identity's PasswordHasher format; null until a password is set (link or SSO only).
    password_hash    text,
    failed_sign_ins  integer not null default 0,
    locked_until     timestamptz,
    disabled         boolean not null default false,
    created_at       timestamptz not null,
    updated_at       timestamptz not null
);
create unique index users_email on users (lower(email));
create unique index users_agent_id on users (agent_id) where agent_id is not null;

-- Only the SHA-256 of a link's token is kept: a copy of the table opens nothing.
create table password_links (
    token_hash  bytea primary key,
    user_id     uuid not null references users (id),
    created_by  text not null,
    created_at  timestamptz not null,
    expires_at  timestamptz not null,
    used_at     timestamptz
);

-- The sign-in cookie carries only a session key; the session lives here, so signing out ends it on the server.
create table user_sessions (
    key_hash    bytea primary key,
    user_id     uuid references users (id),
    actor       text not null,
    ticket      bytea not null,
    created_at  timestamptz not null,
    expires_at  timestamptz,
    ended_at    timestamptz,
    ip          text
);
create index user_sessions_user on user_sessions (user_id) where ended_at is null;

create table api_keys (
    id          uuid primary key,
    name        text not null,
    -- SHA-256 of the key: keys are long random strings, so a fast digest is enough and lookups stay one index probe.
    key_hash    bytea not null unique,
    -- The first characters, so a person can tell keys apart in a list without the key being kept.
    prefix      text not null,
    role        text not null,
    agent_id    text,
    expires_at  timestamptz,
    created_by  text not null,
    created_at  timestamptz not null,
    revoked_at  timestamptz,
    revoked_by  text
);

-- Who did what, when, from where: target ids and small facts only, never message bodies or secrets.
create table audit_events (
    id           bigint generated always as identity primary key,
    occurred_at  timestamptz not null,
    actor_kind   text not null,
    actor_id     text not null,
    actor_name   text not null,
    ip           text,
    action       text not null,
    target_type  text,
    target_id    text,
    data         jsonb not null default '{}'::jsonb
);
create index audit_events_time on audit_events (occurred_at desc, id desc);
create index audit_events_actor on audit_events (actor_id, occurred_at desc);
create index audit_events_action on audit_events (action, occurred_at desc);

create function audit_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the audit trail is append-only (event %)', old.id;
end $$;
create trigger audit_events_append_only before update or delete on audit_events
    for each row execute function audit_events_append_only();
