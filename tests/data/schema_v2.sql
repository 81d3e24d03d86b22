-- The version-2 schema, as released, for the migration test.
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT,                        -- configured name, else NULL
    title TEXT,                       -- the feed's own title
    interval_seconds REAL NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    next_poll_at TEXT,                -- ISO 8601 UTC; the schedule lives here
    last_polled_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    fetch_url TEXT,                   -- where a permanent redirect moved the feed
    origin TEXT NOT NULL DEFAULT 'config',  -- config (monitor.yaml) or added (feeds add, OPML)
    gone INTEGER NOT NULL DEFAULT 0   -- answered 410 Gone: no longer polled
);
CREATE INDEX feeds_due ON feeds (enabled, next_poll_at);

CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    key TEXT NOT NULL,                -- GUID, else canonical link
    url TEXT,
    canonical_url TEXT,
    title TEXT,
    published TEXT,
    first_seen_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,                    -- after a failed attempt: not before this time
    content TEXT,                     -- the article as the feed carries it, if it does
    last_error TEXT,
    UNIQUE (feed_id, key)
);
CREATE INDEX entries_status ON entries (status, id);
CREATE INDEX entries_canonical_url ON entries (canonical_url);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL UNIQUE REFERENCES entries (id),
    url TEXT NOT NULL,
    canonical_url TEXT,
    title TEXT,
    text TEXT NOT NULL,
    published TEXT,
    author TEXT,
    sitename TEXT,
    language TEXT,
    fetched_at TEXT NOT NULL
);

CREATE TABLE matches (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    rule TEXT NOT NULL,
    terms TEXT NOT NULL,              -- JSON list
    sentence TEXT NOT NULL,
    matched_at TEXT NOT NULL,
    UNIQUE (article_id, rule)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    match_id INTEGER NOT NULL UNIQUE REFERENCES matches (id),
    story_id INTEGER REFERENCES stories (id),
    rule TEXT,
    held INTEGER NOT NULL DEFAULT 0,  -- over its rule's throttle: waits for the hourly digest
    next_attempt_at TEXT,             -- after a failed attempt: not before this time
    uncertain INTEGER NOT NULL DEFAULT 0,  -- a send may have reached Slack: look before resending
    slack_channel TEXT,               -- the channel ID Slack answered with
    parent_id INTEGER REFERENCES outbox (id),  -- set for a follow-up: the alert whose thread
    channel TEXT NOT NULL,
    text TEXT NOT NULL,
    blocks TEXT NOT NULL,             -- JSON Block Kit
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    ts TEXT,                          -- Slack's message timestamp, for threads and updates
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_status ON outbox (status, id);
CREATE INDEX outbox_story ON outbox (story_id, rule);

CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    speaker TEXT NOT NULL,
    key_quote TEXT NOT NULL,
    first_article_id INTEGER NOT NULL REFERENCES articles (id),
    created_at TEXT NOT NULL
);

CREATE TABLE statements (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    story_id INTEGER REFERENCES stories (id),
    speaker TEXT NOT NULL,
    role TEXT,
    quote TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'indirect')),
    sentence TEXT NOT NULL,
    background INTEGER NOT NULL DEFAULT 0,
    said_at TEXT NOT NULL,            -- the article's date: statements meet inside a window
    occasion TEXT                     -- the day the text says it was said, when it says so
);
CREATE INDEX statements_speaker ON statements (speaker, said_at);
CREATE INDEX statements_story ON statements (story_id);
