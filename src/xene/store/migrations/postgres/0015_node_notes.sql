-- Xene store, version 15 (PostgreSQL): a note on a node, for who reads the run. Keep equal
-- to sqlite/0015.

-- What a reader should know of how the node ran, e.g. "ran again in a new container:
-- the run's container was gone when it resumed"; NULL for almost every node.
ALTER TABLE nodes ADD COLUMN note TEXT;
