"""Contract: secrets as the store keeps them (`SecretStore`): ciphertext in, ciphertext
out, names and who set them listed, all-or-nothing re-keying."""

from __future__ import annotations

import pytest

from xene.store.base import Store
from xene.store.memory import MemoryStore
from xene.store.secrets import Rekeyed, SecretInfo, SecretStore, StoredSecret
from xene.store.sql import SqlStore

AT = 1_700_000_000.0


@pytest.fixture
def secrets(store: Store) -> SecretStore:
    """The `store` fixture as what it also is: a SecretStore (checked by mypy here)."""
    assert isinstance(store, MemoryStore | SqlStore)
    return store


def secret(name: str, ciphertext: str = "gAAAA-token", key_id: str = "k1") -> StoredSecret:
    return StoredSecret(name, ciphertext, key_id, "alice", AT)


async def test_a_new_secret_is_created_and_read_back(secrets: SecretStore) -> None:
    assert await secrets.set_secret(secret("DEPLOY_KEY")) is True
    assert await secrets.get_secrets(["DEPLOY_KEY"]) == {"DEPLOY_KEY": secret("DEPLOY_KEY")}


async def test_setting_a_name_again_replaces_it(secrets: SecretStore) -> None:
    await secrets.set_secret(secret("TOKEN", "old"))
    replaced = StoredSecret("TOKEN", "new", "k2", "bob", AT + 5)
    assert await secrets.set_secret(replaced) is False
    assert await secrets.get_secrets(["TOKEN"]) == {"TOKEN": replaced}


async def test_get_secrets_returns_only_the_names_that_exist(secrets: SecretStore) -> None:
    await secrets.set_secret(secret("A"))
    await secrets.set_secret(secret("B"))
    assert set(await secrets.get_secrets(["A", "MISSING", "A"])) == {"A"}
    assert await secrets.get_secrets([]) == {}


async def test_list_secrets_gives_names_and_who_set_them_by_name(secrets: SecretStore) -> None:
    await secrets.set_secret(StoredSecret("ZED", "c1", "k1", "bob", AT + 1))
    await secrets.set_secret(StoredSecret("ALPHA", "c2", "k1", "alice", AT))
    assert await secrets.list_secrets() == [
        SecretInfo("ALPHA", "k1", "alice", AT),
        SecretInfo("ZED", "k1", "bob", AT + 1),
    ]


async def test_all_secrets_gives_every_ciphertext_by_name(secrets: SecretStore) -> None:
    await secrets.set_secret(secret("B", "cb"))
    await secrets.set_secret(secret("A", "ca"))
    assert [(s.name, s.ciphertext) for s in await secrets.all_secrets()] == [
        ("A", "ca"),
        ("B", "cb"),
    ]


async def test_delete_forgets_a_secret_once(secrets: SecretStore) -> None:
    await secrets.set_secret(secret("GONE"))
    assert await secrets.delete_secret("GONE") is True
    assert await secrets.delete_secret("GONE") is False
    assert await secrets.get_secrets(["GONE"]) == {}
    assert await secrets.list_secrets() == []


async def test_rekey_replaces_every_ciphertext_and_key_id(secrets: SecretStore) -> None:
    await secrets.set_secret(secret("A", "a-old"))
    await secrets.set_secret(secret("B", "b-old"))
    changes = [Rekeyed("A", "a-old", "a-new", "k2"), Rekeyed("B", "b-old", "b-new", "k2")]
    assert await secrets.rekey_secrets(changes) is True
    found = await secrets.get_secrets(["A", "B"])
    assert {(s.ciphertext, s.key_id, s.set_by) for s in found.values()} == {
        ("a-new", "k2", "alice"),
        ("b-new", "k2", "alice"),
    }


async def test_rekey_changes_nothing_when_a_secret_was_set_meanwhile(
    secrets: SecretStore,
) -> None:
    await secrets.set_secret(secret("A", "a-old"))
    await secrets.set_secret(secret("B", "b-set-again"))
    changes = [Rekeyed("A", "a-old", "a-new", "k2"), Rekeyed("B", "b-old", "b-new", "k2")]
    assert await secrets.rekey_secrets(changes) is False
    found = await secrets.get_secrets(["A", "B"])
    assert (found["A"].ciphertext, found["B"].ciphertext) == ("a-old", "b-set-again")


async def test_rekey_changes_nothing_when_a_secret_was_deleted_meanwhile(
    secrets: SecretStore,
) -> None:
    await secrets.set_secret(secret("A", "a-old"))
    changes = [Rekeyed("A", "a-old", "a-new", "k2"), Rekeyed("B", "b-old", "b-new", "k2")]
    assert await secrets.rekey_secrets(changes) is False
    assert (await secrets.get_secrets(["A"]))["A"].ciphertext == "a-old"
