-- Xene store, version 2 (SQLite): what `xene serve` keeps. Keep equal to postgres/0002.

-- Workflows applied to a server: the text as applied; a new version for each new text.
CREATE TABLE workflows (
    name TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    format TEXT NOT NULL,
    filename TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at REAL NOT NULL
);

-- Pipelines not `active`: paused, draining or stopped.
CREATE TABLE pipeline_modes (
    workflow TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (workflow, pipeline)
);

-- Someone asked the run's executor to cancel it (0 or 1).
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
