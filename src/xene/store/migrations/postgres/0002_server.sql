-- Xene store, version 2 (PostgreSQL): what `xene serve` keeps. Keep equal to sqlite/0002.

-- Workflows applied to a server: the text as applied; a new version for each new text.
CREATE TABLE workflows (
    name TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    format TEXT NOT NULL,
    filename TEXT NOT NULL,
    version BIGINT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
);

-- Pipelines not `active`: paused, draining or stopped.
CREATE TABLE pipeline_modes (
    workflow TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    mode TEXT NOT NULL,
    PRIMARY KEY (workflow, pipeline)
);

-- Someone asked the run's executor to cancel it.
ALTER TABLE runs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT FALSE;
