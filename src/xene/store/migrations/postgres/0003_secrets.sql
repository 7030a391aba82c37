-- Xene store, version 3 (PostgreSQL): secrets, encrypted. Keep equal to sqlite/0003.

-- A secret's value is kept only as ciphertext (a Fernet token, made and read by
-- xene.secrets outside the store); `key_id` names the key it was encrypted with.
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    ciphertext TEXT NOT NULL,
    key_id TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at DOUBLE PRECISION NOT NULL
);
