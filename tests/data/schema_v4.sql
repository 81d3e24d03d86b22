-- Schema version 4 as created by monitor (tables and indexes), for migration tests.
CREATE TABLE "feeds" (
   "id" INTEGER PRIMARY KEY,
   "url" TEXT NOT NULL,
   "name" TEXT,
   "title" TEXT,
   "interval_seconds" REAL NOT NULL,
   "enabled" INTEGER NOT NULL DEFAULT 1,
   "etag" TEXT,
   "last_modified" TEXT,
   "next_poll_at" TEXT,
   "last_polled_at" TEXT,
   "last_success_at" TEXT,
   "last_error" TEXT,
   "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
   "fetch_url" TEXT,
   "origin" TEXT NOT NULL DEFAULT 'config',
   "gone" INTEGER DEFAULT 0,
   "internal_failures" INTEGER DEFAULT 0,
   "quarantined" INTEGER DEFAULT 0,
   "claimed_by" TEXT,
   "lease_until" TEXT
);
CREATE UNIQUE INDEX "idx_feeds_url"
    ON "feeds" ("url");
CREATE INDEX "feeds_due"
    ON "feeds" ("enabled", "next_poll_at");
CREATE TABLE "entries" (
   "id" INTEGER PRIMARY KEY,
   "feed_id" INTEGER NOT NULL REFERENCES "feeds"("id"),
   "key" TEXT NOT NULL,
   "url" TEXT,
   "canonical_url" TEXT,
   "title" TEXT,
   "published" TEXT,
   "first_seen_at" TEXT NOT NULL,
   "status" TEXT NOT NULL DEFAULT 'new',
   "attempts" INTEGER NOT NULL DEFAULT 0,
   "retry_at" TEXT,
   "content" TEXT,
   "last_error" TEXT,
   "processed_by" TEXT,
   "claimed_by" TEXT,
   "lease_until" TEXT
);
CREATE UNIQUE INDEX "idx_entries_feed_id_key"
    ON "entries" ("feed_id", "key");
CREATE INDEX "entries_status"
    ON "entries" ("status", "id");
CREATE INDEX "entries_canonical_url"
    ON "entries" ("canonical_url");
CREATE TABLE "articles" (
   "id" INTEGER PRIMARY KEY,
   "entry_id" INTEGER NOT NULL REFERENCES "entries"("id"),
   "url" TEXT NOT NULL,
   "canonical_url" TEXT,
   "url_key" TEXT NOT NULL,
   "title" TEXT,
   "text" TEXT NOT NULL,
   "published" TEXT,
   "author" TEXT,
   "sitename" TEXT,
   "language" TEXT,
   "fetched_at" TEXT NOT NULL
);
CREATE UNIQUE INDEX "idx_articles_entry_id"
    ON "articles" ("entry_id");
CREATE UNIQUE INDEX "idx_articles_url_key"
    ON "articles" ("url_key");
CREATE TABLE "stories" (
   "id" INTEGER PRIMARY KEY,
   "speaker" TEXT NOT NULL,
   "key_quote" TEXT NOT NULL,
   "first_article_id" INTEGER NOT NULL REFERENCES "articles"("id"),
   "created_at" TEXT NOT NULL
);
CREATE TABLE "statements" (
   "id" INTEGER PRIMARY KEY,
   "article_id" INTEGER NOT NULL REFERENCES "articles"("id"),
   "story_id" INTEGER REFERENCES "stories"("id"),
   "position" INTEGER,
   "speaker" TEXT NOT NULL,
   "role" TEXT,
   "quote" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "sentence" TEXT NOT NULL,
   "background" INTEGER NOT NULL DEFAULT 0,
   "said_at" TEXT NOT NULL,
   "occasion" TEXT,
   "setting" TEXT,
   "start" INTEGER,
   "end" INTEGER,
   "words" TEXT,
   "n_words" INTEGER
);
CREATE INDEX "statements_speaker"
    ON "statements" ("speaker", "said_at");
CREATE INDEX "statements_story"
    ON "statements" ("story_id");
CREATE INDEX "statements_article"
    ON "statements" ("article_id");
CREATE TABLE statement_terms (
    speaker TEXT NOT NULL,
    term TEXT NOT NULL,
    said_at TEXT NOT NULL,
    statement_id INTEGER NOT NULL REFERENCES statements (id),
    n_words INTEGER NOT NULL,
    occasion TEXT,
    PRIMARY KEY (speaker, term, said_at, statement_id)
) WITHOUT ROWID;
CREATE TABLE statement_term_counts (
    speaker TEXT NOT NULL,
    term TEXT NOT NULL,
    statements INTEGER NOT NULL,
    PRIMARY KEY (speaker, term)
) WITHOUT ROWID
;
CREATE TABLE "matches" (
   "id" INTEGER PRIMARY KEY,
   "article_id" INTEGER NOT NULL REFERENCES "articles"("id"),
   "rule" TEXT NOT NULL,
   "hits" TEXT NOT NULL,
   "sentence" TEXT NOT NULL,
   "matched_at" TEXT NOT NULL,
   "statement_id" INTEGER REFERENCES "statements"("id"),
   "channel" TEXT,
   "followups" TEXT,
   "mention" TEXT,
   "priority" TEXT,
   "throttle" INTEGER
);
CREATE UNIQUE INDEX "idx_matches_article_id_rule"
    ON "matches" ("article_id", "rule");
CREATE TABLE "outbox" (
   "id" INTEGER PRIMARY KEY,
   "kind" TEXT NOT NULL DEFAULT 'alert',
   "match_id" INTEGER REFERENCES "matches"("id"),
   "entry_id" INTEGER,
   "story_id" INTEGER REFERENCES "stories"("id"),
   "rule" TEXT,
   "root_key" TEXT,
   "parent_id" INTEGER REFERENCES "outbox"("id"),
   "digest_id" INTEGER REFERENCES "outbox"("id"),
   "held" INTEGER NOT NULL DEFAULT 0,
   "channel" TEXT NOT NULL,
   "facts" TEXT,
   "text" TEXT,
   "blocks" TEXT,
   "status" TEXT NOT NULL DEFAULT 'pending',
   "attempts" INTEGER NOT NULL DEFAULT 0,
   "last_error" TEXT,
   "next_attempt_at" TEXT,
   "uncertain" INTEGER NOT NULL DEFAULT 0,
   "slack_channel" TEXT,
   "ts" TEXT,
   "created_at" TEXT NOT NULL,
   "sent_at" TEXT,
   "failed_at" TEXT,
   "claimed_by" TEXT,
   "lease_until" TEXT
);
CREATE UNIQUE INDEX "idx_outbox_match_id"
    ON "outbox" ("match_id");
CREATE UNIQUE INDEX "idx_outbox_root_key"
    ON "outbox" ("root_key");
CREATE INDEX "outbox_due"
    ON "outbox" ("status", "channel", "entry_id");
CREATE INDEX "outbox_story"
    ON "outbox" ("story_id", "rule");
CREATE INDEX "outbox_parent"
    ON "outbox" ("parent_id");
CREATE TABLE "channels" (
   "name" TEXT PRIMARY KEY,
   "slack_id" TEXT,
   "last_post_at" TEXT,
   "claimed_by" TEXT,
   "lease_until" TEXT
);
CREATE TABLE "replicas" (
   "id" TEXT PRIMARY KEY,
   "host" TEXT,
   "pid" INTEGER,
   "started_at" TEXT,
   "heartbeat_at" TEXT,
   "stopped_at" TEXT
);
CREATE TABLE "problems" (
   "id" INTEGER PRIMARY KEY,
   "at" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "subject" TEXT NOT NULL,
   "detail" TEXT NOT NULL
);
CREATE INDEX "problems_kind"
    ON "problems" ("kind", "at");
