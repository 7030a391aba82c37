-- Xene store, version 4 (SQLite): API tokens. Keep equal to postgres/0004.

-- One row per token made (`xene token create`, POST /api/v1/tokens); never the token
-- itself. `id` is the token's `jti` claim; a server accepts a token only while its row
-- exists with `revoked_at` NULL. `expires_at` NULL: it never expires (admin tokens).
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    created_by TEXT NOT NULL,
    revoked_at REAL
);
