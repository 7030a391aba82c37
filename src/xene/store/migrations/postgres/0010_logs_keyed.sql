-- Xene store, version 10 (PostgreSQL): nothing to do. On SQLite this version rebuilds the
-- logs table WITHOUT ROWID; a PostgreSQL table keeps no rowid beside its primary key.
SELECT 1;
