"""The use cases every front-end shares (the CLI on a store, the server's API)."""
