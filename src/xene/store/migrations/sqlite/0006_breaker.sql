-- Xene store, version 6 (SQLite): circuit breakers. Keep equal to postgres/0006.

-- Why the pipeline's circuit breaker paused it ('' if it did not), and when; and since
-- when it counts runs (0: every run), moved on by each resume.
ALTER TABLE pipeline_modes ADD COLUMN breaker_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE pipeline_modes ADD COLUMN tripped_at REAL;
ALTER TABLE pipeline_modes ADD COLUMN armed_at REAL NOT NULL DEFAULT 0;
