"""Checking that the secrets a definition names exist, for `xene run` and `xene validate`
(`xene apply` checks on the server): each unknown name is a located problem, exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from xene.errors import Problem
from xene.ir import Pipeline, SecretRef, Workflow

if TYPE_CHECKING:
    from xene.cli.stores import Opened


async def known_in(
    store: Opened, workflow: Workflow, pipelines: Sequence[Pipeline], where: str
) -> bool:
    """Do the pipelines' secrets all exist in `store`? If not, print each unknown one
    (`file:line: path: message`) and say so."""
    from xene.spec import secret_refs

    refs = secret_refs.references(workflow, pipelines)
    if not refs:
        return True
    return report(workflow.source, await problems(store, refs, where))


async def problems(store: Opened, refs: Sequence[SecretRef], where: str) -> list[Problem]:
    from xene.spec import secret_refs
    from xene.store.secrets import SecretStore

    if isinstance(store, SecretStore):
        listed = await store.list_secrets()
    else:  # a server's RemoteStore, which has no secret role: ask its API
        from xene.client.secrets import RemoteSecrets

        listed = await RemoteSecrets(store.api).list()
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
