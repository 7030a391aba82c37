"""The filesystem trigger: watches a path and fires once per created, modified or
deleted file, with `{"path": ..., "event": ...}` as the run input.

A server only watches inside the directories it was given as roots: a trigger whose path
resolves (symlinks and `..` included) outside all of them is refused when it is built, so
an applied workflow cannot read the names of files elsewhere on the machine. Inside a
watched directory, a symlink may lead elsewhere (watchfiles follows it): a change whose
real path lies outside every root fires nothing, and is logged once per path.

Trigger params (both definition formats): `path` (required), `events` (a list among
created, modified, deleted; default all three), `recursive` (default true) and `pattern`
(a glob matched from the right of the path relative to the watched one, e.g. `*.csv` or
`incoming/*.json`). Changes are grouped by watchfiles' debounce (at most 1.6 s).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any

from xene import ir
from xene.engine.clock import Clock, SystemClock
from xene.frozen import frozen
from xene.triggers import base

log = logging.getLogger(__name__)

EVENTS = ("created", "modified", "deleted")
MAX_WARNED = 1000
"""Paths outside the roots logged per trigger; past that, they are dropped silently."""
_CHANGE_NAMES = {"added": "created", "modified": "modified", "deleted": "deleted"}


@frozen
class Watch:
    """What a filesystem trigger watches and which of its changes fire."""

    path: Path
    events: frozenset[str] = frozenset(EVENTS)
    recursive: bool = True
    pattern: str | None = None

    @classmethod
    def of(cls, trigger: ir.Trigger) -> Watch:
        """The watch in a filesystem trigger's params; ValueError if it cannot be used."""
        params, name = trigger.params, trigger.name
        path = params.get("path")
        if not isinstance(path, str) or not path:
            raise ValueError(f'filesystem trigger "{name}" needs a "path" to watch')
        recursive = params.get("recursive", True)
        if not isinstance(recursive, bool):
            raise ValueError(f'filesystem trigger "{name}": recursive must be true or false')
        pattern = params.get("pattern")
        if pattern is not None and (not isinstance(pattern, str) or not pattern):
            raise ValueError(f'filesystem trigger "{name}": pattern is a glob such as "*.csv"')
        return cls(Path(path), _events(name, params), recursive, pattern)

    def fires(self, event: str, changed: Path) -> bool:
        """Does a change of that kind to that file fire the trigger?"""
        if event not in self.events:
            return False
        if self.pattern is None:
            return True
        inside = changed != self.path and changed.is_relative_to(self.path)
        relative = changed.relative_to(self.path) if inside else PurePath(changed.name)
        return relative.match(self.pattern)


def _events(name: str, params: Mapping[str, Any]) -> frozenset[str]:
    value = params.get("events", list(EVENTS))
    events = [value] if isinstance(value, str) else value
    if not isinstance(events, list) or not events or not set(events) <= set(EVENTS):
        raise ValueError(
            f'filesystem trigger "{name}": events is a list among {", ".join(EVENTS)}, '
            f"got {value!r}"
        )
    return frozenset(events)


def inside_roots(path: Path, roots: Iterable[str | Path]) -> Path:
    """`path` resolved (symlinks followed, `..` removed) if it lies in one of `roots`.

    Raises:
        ValueError: no roots are configured, or the path lies outside all of them.
    """
    allowed = [Path(root).expanduser().resolve() for root in roots]
    if not allowed:
        raise ValueError(
            f"cannot watch {path}: no filesystem roots are configured; give the server the "
            "directories filesystem triggers may watch"
        )
    resolved = path.expanduser().resolve()
    if not any(resolved.is_relative_to(root) for root in allowed):
        where = ", ".join(str(root) for root in allowed)
        raise ValueError(
            f"cannot watch {path} (resolves to {resolved}): filesystem triggers may only "
            f"watch inside {where}"
        )
    return resolved


class FileTrigger:
    """Fires a workflow's filesystem trigger once per matching change under a path.

    Args:
        workflow: the workflow's name.
        trigger: the trigger's name.
        watch: what to watch; its path must resolve inside `roots` (ValueError otherwise).
        roots: the directories this server allows triggers to watch.
        clock: stamps each event's `fired_at` (default: the system clock).
    """

    def __init__(
        self,
        workflow: str,
        trigger: str,
        watch: Watch,
        *,
        roots: Iterable[str | Path],
        clock: Clock | None = None,
    ) -> None:
        self.workflow = workflow
        self.trigger = trigger
        self.roots = tuple(roots)
        resolved = inside_roots(watch.path, self.roots)
        self.watch = Watch(resolved, watch.events, watch.recursive, watch.pattern)
        self._clock = clock or SystemClock()
        self._real_roots = tuple(Path(root).expanduser().resolve() for root in self.roots)
        self._warned: set[str] = set()

    @classmethod
    def from_trigger(
        cls,
        workflow: str,
        trigger: ir.Trigger,
        roots: Iterable[str | Path],
        *,
        clock: Clock | None = None,
    ) -> FileTrigger:
        """The source for a filesystem trigger of a workflow; ValueError if unusable."""
        return cls(workflow, trigger.name, Watch.of(trigger), roots=roots, clock=clock)

    @property
    def name(self) -> str:
        return f"{self.workflow}/{self.trigger}"

    async def run(self, emit: base.Emit) -> None:
        """Watch until cancelled, emitting one event per matching change."""
        from watchfiles import awatch

        path = inside_roots(self.watch.path, self.roots)  # a symlink may have moved since
        if not path.exists():
            raise FileNotFoundError(f"{self.name}: cannot watch {path}: it does not exist")
        log.info(
            "%s: watching %s",
            self.name,
            path,
            extra={"action": "trigger.files.watch", "trigger": self.name},
        )
        async for changes in awatch(path, recursive=self.watch.recursive):
            for change, changed in sorted(changes, key=lambda c: (c[1], c[0].value)):
                await self._changed(_CHANGE_NAMES[change.name], Path(changed), emit)

    async def _changed(self, event: str, changed: Path, emit: base.Emit) -> None:
        if not self.watch.fires(event, changed) or not self._inside(changed):
            return
        await emit(
            base.TriggerEvent(
                workflow=self.workflow,
                trigger=self.trigger,
                input={"path": str(changed), "event": event},
                fired_at=self._clock.now(),
            )
        )

    def _inside(self, changed: Path) -> bool:
        """Is the file's real path (symlinks followed) inside a root? Warn once if not."""
        real = Path(os.path.realpath(changed))
        if any(real.is_relative_to(root) for root in self._real_roots):
            return True
        key = str(changed)
        if key not in self._warned and len(self._warned) < MAX_WARNED:
            self._warned.add(key)
            last = len(self._warned) == MAX_WARNED
            log.warning(
                "%s: ignoring a change to %s: it is %s, outside the filesystem roots (%s)%s",
                self.name,
                changed,
                real,
                ", ".join(str(root) for root in self._real_roots),
                "; further such paths are not logged" if last else "",
                extra={"action": "trigger.files.outside", "trigger": self.name},
            )
        return False
