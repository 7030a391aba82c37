"""Contract: taking over a run (`claim_run`), a compare-and-set on owner and lease."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

from tests.store.factories import new_run, run_row
from xene.store.base import Batch, Store
from xene.store.owners import owner_id

NOW = 1_700_000_100.0
LATER = NOW + 30


def dead_local_owner() -> str:
    """`host:pid` of a process of this host that has ended."""
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return f"{socket.gethostname()}:{int(out.stdout)}"


async def _owner(store: Store, run_id: str) -> tuple[str, float]:
    stored = await store.get_run(run_id)
    assert stored is not None
    return stored.owner, stored.lease_until


async def test_claim_run_takes_a_run_whose_lease_has_expired(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(owner="other-host:7", lease_until=NOW - 1))
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is True
    assert await _owner(store, run_id) == ("me:1", LATER)


async def test_claim_run_refuses_a_live_lease_of_another_owner(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(owner="other-host:7", lease_until=NOW + 5))
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is False
    assert await _owner(store, run_id) == ("other-host:7", NOW + 5)


async def test_claim_run_renews_our_own_lease(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(owner="me:1", lease_until=NOW + 5))
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is True
    assert await _owner(store, run_id) == ("me:1", LATER)


async def test_claim_run_takes_over_from_a_dead_local_process(store: Store) -> None:
    dead = dead_local_owner()
    run_id, _ = await store.create_run(new_run(owner=dead, lease_until=NOW + 1000))
    assert await store.claim_run(run_id, owner_id(), LATER, NOW) is True
    assert await _owner(store, run_id) == (owner_id(), LATER)


async def test_claim_run_refuses_a_live_local_process(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(owner=owner_id(), lease_until=NOW + 1000))
    assert await store.claim_run(run_id, "other-host:9", LATER, NOW) is False


async def test_claim_run_refuses_a_finished_run(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(lease_until=NOW - 1))
    await store.commit(run_id, Batch(run=run_row(run_id, "Success", ended_at=NOW - 2)))
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is False


async def test_claim_run_of_an_unknown_run_is_false(store: Store) -> None:
    assert await store.claim_run("01HXNOSUCHRUN", "me:1", LATER, NOW) is False


async def test_concurrent_claims_of_an_expired_run_have_one_winner(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(owner="other-host:7", lease_until=NOW - 1))
    claims = [store.claim_run(run_id, f"host-{i}:1", LATER, NOW) for i in range(5)]
    results = await asyncio.gather(*claims)
    assert sorted(results) == [False] * 4 + [True]
    owner, _ = await _owner(store, run_id)
    assert owner == f"host-{results.index(True)}:1"
