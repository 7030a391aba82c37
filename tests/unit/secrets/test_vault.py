"""The vault: values encrypted before they reach the store, resolved by name, and the
key rotated without losing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from xene.secrets import keys
from xene.secrets.keys import SecretKeyError
from xene.secrets.vault import SecretError, UnknownSecret, Vault
from xene.store.memory import MemoryStore

AT = 1_700_000_000.0
KEY = "9cvubgTEbyZCCWm8FIj2f2pIV4zUa_MQGaw_cR8KSK8="


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def vault(store: MemoryStore) -> Vault:
    return Vault(store, "the store memory://")


async def test_a_set_value_resolves_and_the_store_holds_no_clear_text(
    vault: Vault, store: MemoryStore
) -> None:
    assert await vault.set("DEPLOY_KEY", "hunter2-value", "alice", AT) is True
    assert await vault.resolve(["DEPLOY_KEY"]) == {"DEPLOY_KEY": "hunter2-value"}
    (stored,) = await store.all_secrets()
    assert "hunter2" not in stored.ciphertext
    assert (stored.set_by, stored.set_at) == ("alice", AT)


async def test_listing_gives_names_and_who_set_them_never_values(vault: Vault) -> None:
    await vault.set("B", "v1", "bob", AT)
    await vault.set("A", "v2", "alice", AT + 1)
    listed = await vault.list()
    assert [(s.name, s.set_by, s.set_at) for s in listed] == [
        ("A", "alice", AT + 1),
        ("B", "bob", AT),
    ]
    assert "v1" not in repr(listed)
    assert "v2" not in repr(listed)


async def test_resolving_unknown_names_names_every_one_of_them(vault: Vault) -> None:
    await vault.set("A", "v", "alice", AT)
    with pytest.raises(UnknownSecret) as caught:
        await vault.resolve(["A", "MISSING", "ALSO"])
    assert str(caught.value) == (
        'unknown secrets "ALSO", "MISSING" in the store memory://: '
        "set it with `xene secret set ALSO`"
    )


async def test_resolving_without_any_key_says_which_key_is_needed(
    vault: Vault, xene_home: Path
) -> None:
    await vault.set("A", "v", "alice", AT)
    key_id = keys.load_keyring().key_id  # type: ignore[union-attr]
    (xene_home / "secret.key").unlink()
    with pytest.raises(SecretKeyError, match=f"encrypted with key {key_id}: give this process"):
        await vault.resolve(["A"])


async def test_a_bad_name_or_an_empty_value_sets_nothing(vault: Vault) -> None:
    with pytest.raises(SecretError, match="cannot name a secret"):
        await vault.set("bad-name", "v", "alice", AT)
    with pytest.raises(SecretError, match="the value of A is empty: nothing was set"):
        await vault.set("A", "", "alice", AT)
    with pytest.raises(SecretError, match="over 64 KiB"):
        await vault.set("A", "x" * (64 * 1024 + 1), "alice", AT)
    assert await vault.list() == []


async def test_deleting_an_unknown_secret_says_so(vault: Vault) -> None:
    await vault.set("A", "v", "alice", AT)
    await vault.delete("A")
    with pytest.raises(UnknownSecret, match='unknown secret "A"'):
        await vault.delete("A")


async def test_rotating_the_key_file_re_encrypts_every_secret_with_a_new_key(
    vault: Vault, xene_home: Path
) -> None:
    await vault.set("A", "value-a", "alice", AT)
    await vault.set("B", "value-b", "alice", AT)
    old = (xene_home / "secret.key").read_text()
    rotated = await vault.rotate(announce=pytest.fail)
    new = (xene_home / "secret.key").read_text()
    assert (rotated.count, rotated.source) == (2, str(xene_home / "secret.key"))
    assert new != old
    assert len(new.split()) == 1
    assert (xene_home / "secret.key").stat().st_mode & 0o777 == 0o600
    assert await vault.resolve(["A", "B"]) == {"A": "value-a", "B": "value-b"}
    (xene_home / "secret.key").write_text(old)
    with pytest.raises(SecretKeyError):
        await vault.resolve(["A"])


async def test_rotating_an_environment_key_announces_the_new_key_before_changing_anything(
    vault: Vault, store: MemoryStore, monkeypatch: pytest.MonkeyPatch, xene_home: Path
) -> None:
    monkeypatch.setenv(keys.ENV, KEY)
    await vault.set("A", "value-a", "alice", AT)
    before = await store.all_secrets()
    announced: list[str] = []

    def announce(key: str) -> None:
        assert store._secrets["A"] == before[0]  # nothing changed yet
        announced.append(key)

    rotated = await vault.rotate(announce)
    assert rotated.source == keys.ENV
    assert len(announced) == 1
    assert not (xene_home / "secret.key").exists()
    monkeypatch.setenv(keys.ENV, announced[0])
    assert await vault.resolve(["A"]) == {"A": "value-a"}


async def test_rotation_with_a_key_that_cannot_read_the_secrets_changes_nothing(
    vault: Vault, store: MemoryStore, monkeypatch: pytest.MonkeyPatch, xene_home: Path
) -> None:
    await vault.set("A", "value-a", "alice", AT)
    before = await store.all_secrets()
    monkeypatch.setenv(keys.ENV, KEY)
    with pytest.raises(SecretKeyError, match="was encrypted with key"):
        await vault.rotate(announce=pytest.fail)
    assert await store.all_secrets() == before
    monkeypatch.delenv(keys.ENV)
    assert await vault.resolve(["A"]) == {"A": "value-a"}


async def test_rotation_with_no_secret_and_no_key_makes_a_key_file(
    vault: Vault, xene_home: Path
) -> None:
    rotated = await vault.rotate(announce=pytest.fail)
    assert rotated.count == 0
    assert keys.load_keyring() is not None
