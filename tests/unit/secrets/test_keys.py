"""The key and the cipher: from XENE_SECRET_KEY or a private key file, and clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xene.secrets import keys
from xene.secrets.keys import Keyring, SecretKeyError

KEY = "9cvubgTEbyZCCWm8FIj2f2pIV4zUa_MQGaw_cR8KSK8="
OTHER = "cCCLYkQ5uS2AoT1Dfe5iUBvaIBFt406S2EtEC8PyQR4="


def test_without_a_key_nothing_is_made_unless_asked(xene_home: Path) -> None:
    assert keys.load_keyring() is None
    assert not (xene_home / "secret.key").exists()


def test_the_key_file_is_created_on_first_use_with_mode_0600(xene_home: Path) -> None:
    ring = keys.load_keyring(create=True)
    path = xene_home / "secret.key"
    assert ring is not None
    assert ring.source == str(path)
    assert not ring.from_env
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.load_keyring() == ring  # the same key next time


def test_a_key_file_others_can_read_is_refused(xene_home: Path) -> None:
    keys.load_keyring(create=True)
    os.chmod(xene_home / "secret.key", 0o644)
    with pytest.raises(SecretKeyError, match=r"can be read by others \(mode 0644\).*chmod 600"):
        keys.load_keyring()


def test_the_environment_key_wins_over_the_file(
    xene_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.load_keyring(create=True)
    monkeypatch.setenv(keys.ENV, KEY)
    ring = keys.load_keyring()
    assert ring == Keyring((KEY,), keys.ENV, from_env=True)


def test_a_malformed_environment_key_is_refused_saying_what_a_key_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(keys.ENV, "hunter2")
    with pytest.raises(SecretKeyError, match="XENE_SECRET_KEY does not hold a valid key: each"):
        keys.load_keyring()


def test_a_value_encrypts_to_a_token_that_decrypts_back() -> None:
    ring = Keyring((KEY,), "test", from_env=True)
    ciphertext, key_id = ring.encrypt("s3cret value ✓")
    assert "s3cret" not in ciphertext
    assert key_id == keys.key_id(KEY)
    assert ring.decrypt("A", ciphertext, key_id) == "s3cret value ✓"


def test_every_key_of_a_ring_decrypts_and_the_first_encrypts() -> None:
    ciphertext, _ = Keyring((OTHER,), "old", from_env=True).encrypt("v")
    both = Keyring((KEY, OTHER), "both", from_env=True)
    assert both.decrypt("A", ciphertext, keys.key_id(OTHER)) == "v"
    assert both.encrypt("v")[1] == keys.key_id(KEY)


def test_a_wrong_key_names_the_key_the_secret_needs() -> None:
    ciphertext, key_id = Keyring((OTHER,), "old", from_env=True).encrypt("v")
    ring = Keyring((KEY,), "XENE_SECRET_KEY", from_env=True)
    with pytest.raises(SecretKeyError) as caught:
        ring.decrypt("DEPLOY", ciphertext, key_id)
    assert str(caught.value).startswith(
        f"secret 'DEPLOY' was encrypted with key {key_id}, and the key from XENE_SECRET_KEY "
        f"is {keys.key_id(KEY)}: use the key it was set with"
    )


def test_a_damaged_ciphertext_is_told_apart_from_a_wrong_key() -> None:
    ring = Keyring((KEY,), "test", from_env=True)
    ciphertext, key_id = ring.encrypt("v")
    with pytest.raises(SecretKeyError, match="is damaged"):
        ring.decrypt("A", ciphertext[:-8] + "AAAAAAAA", key_id)


def test_writing_the_key_file_again_replaces_it_whole_and_keeps_it_private(
    xene_home: Path,
) -> None:
    path = xene_home / "secret.key"
    keys.write_key_file(path, f"{KEY}\n{OTHER}\n")
    keys.write_key_file(path, f"{OTHER}\n")
    assert path.read_text() == f"{OTHER}\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in xene_home.iterdir()] == ["secret.key"]  # no temporary left
