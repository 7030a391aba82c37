"""Talking to a Xene server over its REST API: the client, the server's settings, and a
`RemoteStore` (the store's reading roles and approvals) that the CLI's history commands
use as if the server's runs were local.

    async with ApiClient("http://127.0.0.1:6060", token) as api:
        runs = await api.get("/api/v1/runs", params={"limit": 5})
"""

from __future__ import annotations

from xene.client.api import ApiClient
from xene.client.errors import ApiError
from xene.client.settings import Target, choose
from xene.client.store import RemoteStore

__all__ = ["ApiClient", "ApiError", "RemoteStore", "Target", "choose"]
