"""Checking that the secrets a definition names exist, for `xene run` and `xene validate`
(`xene apply` checks on the server): each unknown name is a located problem, exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from xene.errors import Problem
from xene.ir import Pipeline, SecretRef, Workflow
from xene.store.base import Store


async def known_in(
    store: Store, workflow: Workflow, pipelines: Sequence[Pipeline], where: str
) -> bool:
    """Do the pipelines' secrets all exist in `store`? If not, print each unknown one
    (`file:line: path: message`) and say so."""
    from xene.spec import secret_refs

    refs = secret_refs.references(workflow, pipelines)
    if not refs:
        return True
    return report(workflow.source, await problems(store, refs, where))


async def problems(store: Store, refs: Sequence[SecretRef], where: str) -> list[Problem]:
    from xene.spec import secret_refs
    from xene.store.secrets import SecretStore

    if not isinstance(store, SecretStore):  # a server's RemoteStore: ask its API
        from xene.cli import stores
        from xene.client.secrets import RemoteSecrets

        api = stores.remote_api(store)
        assert api is not None
        listed = await RemoteSecrets(api).list()
    else:
        listed = await store.list_secrets()
    return secret_refs.check(refs, {s.name for s in listed}, where)


def report(path: str, found: Sequence[Problem]) -> bool:
    """Print the problems; True when there are none."""
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        count = len(found)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
    return not found


def where(args: argparse.Namespace) -> str:
    """How messages name the store a command opened."""
    from xene.store import default_url

    return f"the store {getattr(args, 'store', None) or default_url()}"
