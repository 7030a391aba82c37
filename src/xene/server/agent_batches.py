"""An agent's commits as the server reads them: strictly validated JSON, turned into the
store's `Batch`es before anything reaches the store.

An agent sends its journal's batches as `xene.store.wire.batch_json` makes them. They
are read with pydantic in strict JSON mode, straight from the request's bytes: a field
of the wrong type, a state or decision that does not exist, a missing field is refused
with where it is (`commits.0.batch.run.state: ...`), and nothing of the request is
applied. The run ids the rows carry must all be the run's the commits are posted to.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from xene.errors import XeneError
from xene.store.base import Batch

MAX_COMMITS = 1000
"""Commits in one request at most (an agent sends what its outbox holds, in pieces)."""


@dataclass
class Commit:
    seq: Annotated[int, Field(ge=1, description="the agent's number of this commit")]
    batch: Batch


@dataclass
class Commits:
    epoch: Annotated[int, Field(ge=0, description="the epoch of the lease the agent holds")]
    commits: Annotated[list[Commit], Field(min_length=1, max_length=MAX_COMMITS)]


_COMMITS: TypeAdapter[Commits] = TypeAdapter(Commits)


class BadCommits(XeneError):
    """The commits are not what an agent of this version sends."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


def schema() -> dict[str, Any]:
    """The JSON Schema of the request body, for the OpenAPI document: with its
    definitions inlined (none is recursive), as an operation's body schema must be."""
    found = _COMMITS.json_schema()
    defs = found.pop("$defs", {})

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(item) for key, item in value.items()}
        if isinstance(value, list):
            return [inline(item) for item in value]
        return value

    inlined: dict[str, Any] = inline(found)
    return inlined


def parse(body: bytes) -> Commits:
    """The commits of a request's body; BadCommits saying what is wrong, and where."""
    try:
        return _COMMITS.validate_json(body, strict=True)
    except ValidationError as exc:
        problems = [_located(error) for error in exc.errors(include_url=False)]
        raise BadCommits("the commits are not valid", problems) from None


def batches(run_id: str, commits: Commits) -> list[Batch]:
    """The commits of `run_id` as batches, each with the epoch and its seq; BadCommits
    if their seqs do not increase or a row names another run."""
    problems = _order_problems(commits) + _foreign_rows(run_id, commits)
    if problems:
        raise BadCommits("the commits are not valid", problems)
    epoch = commits.epoch
    return [replace(c.batch, epoch=epoch, seq=c.seq) for c in commits.commits]


def _located(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def _order_problems(commits: Commits) -> list[str]:
    """Seqs must increase: a later one is skipped by the store as a duplicate otherwise."""
    seqs = [c.seq for c in commits.commits]
    if all(a < b for a, b in itertools.pairwise(seqs)):
        return []
    return [f"commits: seqs must increase, one commit after another (got {seqs[:20]})"]


def _foreign_rows(run_id: str, commits: Commits) -> list[str]:
    """Rows naming another run than the one posted to: an agent writes its run only."""
    problems = []
    for index, commit in enumerate(commits.commits):
        batch, where = commit.batch, f"commits.{index}.batch"
        ids = [("run.id", batch.run.id)] if batch.run is not None else []
        ids += [(f"logs.{i}.run_id", c.run_id) for i, c in enumerate(batch.logs)]
        ids += [(f"approvals.{i}.run_id", a.run_id) for i, a in enumerate(batch.approvals)]
        problems += [
            f"{where}.{field}: {found!r} is not this run ({run_id!r})"
            for field, found in ids
            if found != run_id
        ]
    return problems
