-- Xene store, version 14 (SQLite): leases with fencing. Keep equal to postgres/0014.

-- How many times the run has been claimed (created executed counts as one): every
-- commit of its executor carries the epoch it holds, and one of an earlier epoch is
-- refused (store.base.Fenced). A queued run has 0 until claimed.
ALTER TABLE runs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
-- The last commit number applied within the epoch (Batch.seq, an agent's): a batch sent
-- again is skipped. Set back to 0 by each claim.
ALTER TABLE runs ADD COLUMN commit_seq INTEGER NOT NULL DEFAULT 0;
