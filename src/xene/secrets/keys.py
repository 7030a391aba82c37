"""The secret key and the cipher: Fernet (AES-128-CBC with HMAC-SHA256, from the
`cryptography` library), with keys kept apart from the store.

The key comes from `$XENE_SECRET_KEY`, else from the key file `$XENE_HOME/secret.key`,
created (mode 0600) the first time a secret is set. Either may hold several keys, comma-
or line-separated: the first encrypts, every one decrypts. That is how `rotate-key` stays
safe to interrupt: the file holds the new key and the old one until every secret is
re-encrypted.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xene.errors import XeneError
from xene.frozen import frozen

ENV = "XENE_SECRET_KEY"
FILE_NAME = "secret.key"


class SecretKeyError(XeneError):
    """The secret key is missing, malformed, unsafe, or not the one a secret was set with."""


def key_path() -> Path:
    """`$XENE_HOME/secret.key` (XENE_HOME: ~/.xene)."""
    return Path(os.environ.get("XENE_HOME") or "~/.xene").expanduser() / FILE_NAME


def key_id(key: str) -> str:
    """A short public name of a key (a hash prefix), stored beside each ciphertext so a
    wrong key is told apart from a damaged secret."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:12]


def generate_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


@frozen
class Keyring:
    """The keys in use: `keys[0]` encrypts, every key decrypts."""

    keys: tuple[str, ...]
    source: str
    """`XENE_SECRET_KEY` or the key file's path, for messages."""
    from_env: bool

    @property
    def key_id(self) -> str:
        return key_id(self.keys[0])

    def encrypt(self, value: str) -> tuple[str, str]:
        """The ciphertext of `value` and the id of the key that made it."""
        token: bytes = _fernet(self.keys[:1]).encrypt(value.encode("utf-8"))
        return token.decode("ascii"), self.key_id

    def decrypt(self, name: str, ciphertext: str, stored_key_id: str) -> str:
        """The value of secret `name`; SecretKeyError saying which key it needs."""
        from cryptography.fernet import InvalidToken

        try:
            clear: bytes = _fernet(self.keys).decrypt(ciphertext.encode("ascii"))
            return clear.decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretKeyError(_cannot_decrypt(self, name, stored_key_id)) from exc


def _cannot_decrypt(ring: Keyring, name: str, stored: str) -> str:
    ours = ", ".join(key_id(k) for k in ring.keys)
    if stored not in {key_id(k) for k in ring.keys}:
        return (
            f"secret {name!r} was encrypted with key {stored}, and the key from "
            f"{ring.source} is {ours}: use the key it was set with ({ENV}, or the "
            f"{FILE_NAME} of the machine that set it), or set the secret again"
        )
    return f"secret {name!r} is damaged (key {stored} does not decrypt it): set it again"


def _fernet(keys: Sequence[str]) -> Any:
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def load_keyring(*, create: bool = False) -> Keyring | None:
    """The keys from `$XENE_SECRET_KEY`, else from the key file; None when neither
    exists, unless `create`, which makes the key file (mode 0600)."""
    value = os.environ.get(ENV, "").strip()
    if value:
        return Keyring(_parse(value, ENV), ENV, from_env=True)
    path = key_path()
    text = _read_key_file(path)
    if text is None:
        if not create:
            return None
        text = _create_key_file(path)
    return Keyring(_parse(text, str(path)), str(path), from_env=False)


def _parse(text: str, source: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.replace(",", "\n").splitlines() if k.strip())
    if not keys:
        raise SecretKeyError(f"{source} holds no key")
    for key in keys:
        if not _valid(key):
            raise SecretKeyError(
                f"{source} does not hold a valid key: each key is 44 characters of URL-safe "
                "base64 (32 bytes), as `xene secret rotate-key` or "
                "cryptography's Fernet.generate_key() makes"
            )
    return keys


def _valid(key: str) -> bool:
    import base64
    import binascii

    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError):
        return False


def _read_key_file(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretKeyError(
            f"{path} can be read by others (mode {stat.S_IMODE(mode):04o}): "
            f"make it private with `chmod 600 {path}`"
        )
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        raise SecretKeyError(f"cannot read the key file {path}: {exc}") from exc


def _create_key_file(path: Path) -> str:
    """A new key in a new file; if another process made one meanwhile, theirs."""
    text = generate_key() + "\n"
    try:
        write_key_file(path, text, exclusive=True)
    except FileExistsError:
        found = _read_key_file(path)
        assert found is not None
        return found
    return text


def write_key_file(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write the key file whole (a private temporary file, then linked or renamed into
    place), so no reader ever sees half a key. `exclusive`: FileExistsError if a key
    file exists."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".secret-key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if exclusive:
            os.link(temporary, path)
        else:
            os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
