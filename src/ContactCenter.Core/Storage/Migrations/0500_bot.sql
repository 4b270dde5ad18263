-- The messaging bot: knowledge-base articles and the bot's side of each conversation it serves.

-- Articles the bot answers from (and agents read). Searched with full-text search in the article's own
-- language: the title weighs more than the body.
create table kb_articles (
    id          uuid primary key,
    -- A stable name: the seed folder's file name, or given through the API. Seeding upserts by it.
    slug        text not null unique,
    title       text not null,
    body        text not null,
    language    text not null,
    -- The text-search configuration for the language ('english', 'spanish', 'simple').
    config      regconfig not null,
    tags        text[] not null default '{}',
    -- 'seed' rows follow their file; once edited through the API ('api') the seed leaves them alone.
    source      text not null check (source in ('seed', 'api')),
    -- Title and body with accents folded (by the service): search works the same whatever the database's
    -- locale (under LC_CTYPE C the parser splits "contraseña"), and customers typing without accents match.
    search_title text not null,
    search_body  text not null,
    search      tsvector generated always as (
                    setweight(to_tsvector(config, search_title), 'A') || setweight(to_tsvector(config, search_body), 'B')) stored,
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);
create index kb_articles_search on kb_articles using gin (search);
create index kb_articles_listing on kb_articles (updated_at desc, id desc);

-- The bot's state per conversation on a channel with a bot flow. The row is also the lock that makes the
-- bot's turns for one conversation take turns: every turn locks it (FOR UPDATE) first.
-- No foreign key to conversations on purpose: the key-share lock it takes on the conversation row would
-- block routing's FOR UPDATE of that row while a turn (holding this row) hands the conversation off.
create table bot_conversations (
    conversation_id   uuid primary key,
    customer_id       uuid not null,
    channel           text not null,
    -- 'bot': the bot answers; 'agent': handed to a person (the bot is silent).
    owner             text not null check (owner in ('bot', 'agent')),
    -- The last inbound event a turn consumed: a redelivered or older event is never answered twice.
    last_event_id     bigint not null default 0,
    -- The flow session version the last turn left: a turn steps only from it (a crash in between re-renders).
    session_version   integer not null default 0,
    -- Counts handoffs to a person; an acknowledgement while waiting is sent once per handoff.
    handoffs          integer not null default 0,
    acknowledged      integer not null default 0,
    -- Misunderstood answers so far (no match, invalid slot); too many hand off.
    misunderstandings integer not null default 0,
    -- The lowest sentiment score a customer message had (the lexicon's sum; negative is unhappy).
    sentiment         integer not null default 0,
    -- Knowledge-base articles the bot showed: [{ "id", "title", "score" }].
    articles          jsonb not null default '[]'::jsonb,
    -- Set when the bot resolved the conversation without a person: it counts as contained.
    contained_at      timestamptz,
    survey_sent_at    timestamptz,
    -- Set when the bot took the conversation back because nobody answered in time: no second timeout follows.
    timed_out_at      timestamptz,
    started_at        timestamptz not null,
    updated_at        timestamptz not null
);
create index bot_conversations_started on bot_conversations (started_at);
