"""Applying a workflow: load and check its definition, then keep it as the workflow's
new version. The server's `POST /workflows` (which `xene apply` calls) does it through
its Runtime, which then converges its triggers to the new definition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from xene.frozen import frozen
from xene.ir import Workflow
from xene.service.errors import Conflict
from xene.store.base import AppliedWorkflow, ServerStore

Outcome = Literal["created", "updated", "unchanged"]
APPLICABLE = ("manifest", "flow", "fsm")
"""The formats a text can be applied in (a Python file runs code: `xene run` it)."""


@frozen
class Applied:
    workflow: AppliedWorkflow
    changed: bool
    definition: Workflow

    @property
    def outcome(self) -> Outcome:
        return outcome(self.changed, self.workflow.version)


def outcome(changed: bool, version: int) -> Outcome:
    """What applying did, as the API's status and `xene apply` say it."""
    if not changed:
        return "unchanged"
    return "created" if version == 1 else "updated"


async def apply(
    store: ServerStore,
    text: str,
    filename: str,
    now: float,
    problems: Callable[[Workflow], list[str]],
    where: str = "the store",
) -> Applied:
    """Keep `text` as its workflow's new version (unchanged if it is the current one).
    Refused, changing nothing: InvalidDefinition (located problems, or a secret that
    `where`, the store, does not hold), NotRunnable (valid, but cannot run yet), Conflict
    (a format that cannot be applied, or the `problems` the caller finds with its
    triggers)."""
    from xene.errors import NotRunnable
    from xene.spec import validate
    from xene.spec.load import load_text

    definition = load_text(text, filename)
    if definition.format not in APPLICABLE:
        raise Conflict(f"{filename}: only YAML or JSON definitions can be applied")
    blocked = validate.not_runnable(definition)
    if blocked:
        raise NotRunnable(blocked)
    found = problems(definition)
    if found:
        raise Conflict("; ".join(found))
    await check_secrets(store, definition, where)
    applied, changed = await store.apply_workflow(
        definition.name, text, definition.format, filename, now
    )
    return Applied(applied, changed, definition)


async def check_secrets(store: ServerStore, definition: Workflow, where: str) -> None:
    """Every secret the definition names is in the store; else InvalidDefinition, located."""
    from xene.errors import InvalidDefinition
    from xene.spec import secret_refs

    refs = secret_refs.references(definition)
    if not refs:
        return
    known = {s.name for s in await store.list_secrets()}
    problems = secret_refs.check(refs, known, where)
    if problems:
        raise InvalidDefinition(problems)
