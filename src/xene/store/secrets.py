"""The store's part of secrets: ciphertext in, ciphertext out.

Encrypting and decrypting happen at the edge, in `xene.secrets`, with a key the store
never holds; a store keeps each secret as a Fernet token with the id of its key, and who
set it when. Nothing here can return a value in clear, so no route or command built on
these operations can either.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol, runtime_checkable

from xene.frozen import frozen


@frozen
class SecretInfo:
    """A secret as listed: its name and who set it when; never its value."""

    name: str
    key_id: str
    """The id of the key it is encrypted with (see `xene.secrets.keys.key_id`)."""
    set_by: str
    set_at: float


@frozen
class StoredSecret:
    """A secret as kept: encrypted by `xene.secrets` before it reaches the store."""

    name: str
    ciphertext: str
    key_id: str
    set_by: str
    set_at: float


@frozen
class Rekeyed:
    """One secret re-encrypted by `xene secret rotate-key`."""

    name: str
    old_ciphertext: str
    """What the secret held when it was read: the change applies only if it still does."""
    ciphertext: str
    key_id: str


@runtime_checkable
class SecretStore(Protocol):
    """Secret operations every backend implements (a role of `ServerStore`)."""

    async def set_secret(self, secret: StoredSecret) -> bool:
        """Create or replace; True when the name was new."""

    async def list_secrets(self) -> list[SecretInfo]:
        """Every secret, by name."""

    async def get_secrets(self, names: Collection[str]) -> dict[str, StoredSecret]:
        """The secrets of those names that exist (one read)."""

    async def all_secrets(self) -> list[StoredSecret]:
        """Every secret with its ciphertext, by name (for re-encrypting them all)."""

    async def delete_secret(self, name: str) -> bool:
        """False if there was none of that name."""

    async def rekey_secrets(self, changes: Sequence[Rekeyed]) -> bool:
        """Apply every change or none: False, changing nothing, when a secret was set
        again or deleted since it was read (compare-and-set on its old ciphertext)."""
