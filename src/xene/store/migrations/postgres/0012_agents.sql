-- Xene store, version 12 (PostgreSQL): the agents a server knows. Keep equal to
-- sqlite/0012.

-- One row per agent: its last registration and heartbeat. Online, draining or lost is
-- worked out from heartbeat_at, not stored.
CREATE TABLE agents (
    name TEXT PRIMARY KEY,
    labels TEXT NOT NULL,            -- a JSON array of strings
    capacity INTEGER NOT NULL,
    version TEXT NOT NULL,
    host TEXT NOT NULL,
    registered_at DOUBLE PRECISION NOT NULL,
    heartbeat_at DOUBLE PRECISION NOT NULL,
    running INTEGER NOT NULL,
    draining INTEGER NOT NULL        -- 0 or 1
);
