"""Contract: token records (id, name, role, lifetime, who made it, revocation)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from xene.store.base import ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore
from xene.store.tokens import TokenRecord

AT = 1_700_000_000.0
DAY = 86400.0


@pytest.fixture
def tokens(store: Store) -> ServerStore:
    assert isinstance(store, MemoryStore | SqlStore)
    return store


def token(token_id: str = "01tok", **fields: object) -> TokenRecord:
    base = TokenRecord(token_id, "grafana", "viewer", AT, AT + 30 * DAY, "alice")
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


async def test_a_recorded_token_comes_back_as_it_was_recorded(tokens: ServerStore) -> None:
    await tokens.record_token(token())
    assert await tokens.get_token("01tok") == token()


async def test_a_token_that_never_expires_has_no_expiry(tokens: ServerStore) -> None:
    forever = token(role="admin", expires_at=None)
    await tokens.record_token(forever)
    assert await tokens.get_token("01tok") == forever


async def test_an_unknown_token_is_none(tokens: ServerStore) -> None:
    assert await tokens.get_token("nope") is None
    assert await tokens.revoke_token("nope", AT) is None


async def test_recording_an_id_twice_is_refused_and_keeps_the_first(
    tokens: ServerStore,
) -> None:
    await tokens.record_token(token())
    with pytest.raises(KeyError, match="01tok"):
        await tokens.record_token(token(name="other"))
    found = await tokens.get_token("01tok")
    assert found is not None
    assert found.name == "grafana"


async def test_list_tokens_is_oldest_first_with_revoked_ones(tokens: ServerStore) -> None:
    await tokens.record_token(token("02b", created_at=AT + 2))
    await tokens.record_token(token("01a", created_at=AT + 1))
    await tokens.record_token(token("03c", created_at=AT + 3))
    await tokens.revoke_token("02b", AT + 10)
    assert [t.id for t in await tokens.list_tokens()] == ["01a", "02b", "03c"]


async def test_revoking_sets_revoked_at_once(tokens: ServerStore) -> None:
    await tokens.record_token(token())
    first = await tokens.revoke_token("01tok", AT + 5)
    again = await tokens.revoke_token("01tok", AT + 9)
    assert first == token(revoked_at=AT + 5)
    assert again == first
    assert await tokens.get_token("01tok") == first


async def test_concurrent_revocations_keep_one_time(tokens: ServerStore) -> None:
    await tokens.record_token(token())
    done = await asyncio.gather(*(tokens.revoke_token("01tok", AT + i) for i in range(1, 6)))
    times = {t.revoked_at for t in done if t is not None}
    assert len(times) == 1


def test_state_says_active_expired_or_revoked() -> None:
    assert token().state(AT + DAY) == "active"
    assert token().state(AT + 30 * DAY) == "expired"
    assert token(expires_at=None).state(AT + 9999 * DAY) == "active"
    assert token(revoked_at=AT + 1).state(AT + 2) == "revoked"
