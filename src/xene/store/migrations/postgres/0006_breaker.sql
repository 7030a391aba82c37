-- Xene store, version 6 (PostgreSQL): circuit breakers. Keep equal to sqlite/0006.

-- Why the pipeline's circuit breaker paused it ('' if it did not), and when; and since
-- when it counts runs (0: every run), moved on by each resume.
ALTER TABLE pipeline_modes ADD COLUMN breaker_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE pipeline_modes ADD COLUMN tripped_at DOUBLE PRECISION;
ALTER TABLE pipeline_modes ADD COLUMN armed_at DOUBLE PRECISION NOT NULL DEFAULT 0;
