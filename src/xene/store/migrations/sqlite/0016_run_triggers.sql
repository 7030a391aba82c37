-- Xene store, version 16 (SQLite): which trigger started a run, for the runs list's filter
-- (the web UI's /runs, GET /api/v1/runs?trigger=). Keep equal to postgres/0016.

-- The name of the workflow's trigger whose fire queued the run; NULL for a run started
-- by hand (the API's run, `xene run`) or by a state machine, and for runs made before.
ALTER TABLE runs ADD COLUMN trigger_name TEXT;
-- Newest first within one trigger, as the list pages (keyset on id).
CREATE INDEX runs_by_trigger ON runs (trigger_name, id);
-- A pipeline's runs newest first (the filters name a workflow and its pipeline).
CREATE INDEX runs_by_pipeline ON runs (workflow, pipeline, id);
