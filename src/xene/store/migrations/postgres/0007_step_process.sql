-- Xene store, version 7 (PostgreSQL): the process group running each step (boot:pgid:start),
-- committed with the step's start, so that recovery can end a dead owner's orphans.
ALTER TABLE steps ADD COLUMN process TEXT;
