"""A command asks the store it opened for the role it needs: a server's store lacks the
local ones, and saying so is one clear refusal, before anything is asked of the server."""

from __future__ import annotations

import pytest

from xene.cli import stores
from xene.client.api import ApiClient
from xene.client.store import RemoteStore
from xene.store.memory import MemoryStore

UNREACHABLE = "http://127.0.0.1:9"
"""Nothing listens there: a refusal that asked the server would fail otherwise."""


async def test_a_local_store_has_the_local_roles() -> None:
    store = MemoryStore()
    assert stores.is_local(store)
    assert stores.local(store, "deleting runs") is store


async def test_a_servers_store_is_refused_a_local_role_with_what_to_do() -> None:
    remote = RemoteStore(ApiClient(UNREACHABLE))
    try:
        assert not stores.is_local(remote)
        with pytest.raises(stores.CommandError) as refused:
            stores.local(remote, "deleting runs (`xene gc`)")
    finally:
        await remote.close()
    assert refused.value.code == stores.EXIT_INVALID
    assert str(refused.value) == (
        f"deleting runs (`xene gc`) is not available against a server ({UNREACHABLE}): it "
        "needs a local store; run it on the server's machine with --store URL (or unset "
        "XENE_SERVER)"
    )
