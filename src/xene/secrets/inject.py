"""What an execution does with secrets when it starts: resolve the names its pipeline
needs, once, keep the values where steps and nodes take them, and mask them.

`EngineOptions.secrets` holds values given in process (the Python API, tests);
`EngineOptions.secret_source` resolves the other names, from the store's vault for
`xene run` and `xene serve` (later, from the server for a remote agent holding the run).
After `prepare`, `execution.options.secrets` holds exactly the pipeline's secrets: a
task's steps get the ones it names as environment variables (engine/tasks.py),
`${secrets.NAME}` in a node's config reads them (engine/context.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, NamedTuple

from xene.engine.options import EngineOptions, SecretSource
from xene.errors import XeneError
from xene.secrets.masking import NO_MASK, Masker, MaskingListener

if TYPE_CHECKING:
    from xene.core.records import Listener
    from xene.ir import Pipeline


class Prepared(NamedTuple):
    """What an execution keeps of its run's secrets, once they are resolved."""

    options: EngineOptions
    """With exactly the pipeline's secrets."""
    masker: Masker
    listener: Listener
    """Masks their values in everything it is told."""


async def prepare(pipeline: Pipeline, options: EngineOptions, listener: Listener) -> Prepared | str:
    """Resolve the run's secrets, to be installed; or why the run cannot start."""
    names = pipeline.secret_names
    if not names:
        return Prepared(options, NO_MASK, listener)
    try:
        values = await resolve(options, names)
    except XeneError as exc:
        return f"cannot start: {exc}"
    except Exception as exc:  # the store is away: each driver its own errors
        return f"cannot start: reading its secrets failed: {exc}"
    masker = Masker(values.values())
    options = dataclasses.replace(options, secrets=values)
    return Prepared(options, masker, MaskingListener(listener, masker))


async def resolve(options: EngineOptions, names: Collection[str]) -> Mapping[str, str]:
    """The values of `names`: from `options.secrets`, else from `options.secret_source`."""
    from xene.secrets.vault import UnknownSecret

    found = {name: options.secrets[name] for name in names if name in options.secrets}
    missing = [name for name in names if name not in found]
    if missing and options.secret_source is None:
        raise UnknownSecret(
            missing, "the secrets given to this engine (EngineOptions.secrets; no store to ask)"
        )
    if missing:
        assert options.secret_source is not None
        resolved = await options.secret_source(missing)
        found.update((name, resolved[name]) for name in missing)
    return found


def store_source(store: object, where: str) -> SecretSource:
    """Resolve names from a store's vault (imported only when a run names a secret)."""

    async def resolve(names: Collection[str]) -> Mapping[str, str]:
        from xene.secrets.vault import SecretError, Vault
        from xene.store.secrets import SecretStore

        if not isinstance(store, SecretStore):
            raise SecretError(f"{where} keeps no secrets")
        return await Vault(store, where).resolve(names)

    return resolve
