-- Xene store, version 4 (PostgreSQL): API tokens. Keep equal to sqlite/0004.

-- One row per token made (`xene token create`, POST /api/v1/tokens); never the token
-- itself. `id` is the token's `jti` claim; a server accepts a token only while its row
-- exists with `revoked_at` NULL. `expires_at` NULL: it never expires (admin tokens).
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION,
    created_by TEXT NOT NULL,
    revoked_at DOUBLE PRECISION
);
