"""Agent labels: what an agent offers (`gpu`, `os=linux`) and what a pipeline needs of the
agent that runs it. A run goes only to an agent that has every label its pipeline
names. Pure: no I/O, no clock."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:=/-]{0,62}$")
MAX_LABELS = 50
RULE = (
    "letters, digits and _ . : = / - (at most 63, starting with a letter or digit), "
    "e.g. gpu or os=linux"
)


def problem(labels: Sequence[str]) -> str | None:
    """What is wrong with a list of labels, or None."""
    for label in labels:
        if not LABEL.match(label):
            return f"label {label!r} is not usable: {RULE}"
    if len(labels) > MAX_LABELS:
        return f"at most {MAX_LABELS} labels ({len(labels)} given)"
    return None


def canonical(labels: Iterable[str]) -> tuple[str, ...]:
    """Each label once, sorted: the form runs and agents are stored and compared in."""
    return tuple(sorted(set(labels)))


def satisfies(offered: Collection[str], needed: Iterable[str]) -> bool:
    return all(label in offered for label in needed)


def missing(offered: Collection[str], needed: Iterable[str]) -> tuple[str, ...]:
    return tuple(label for label in needed if label not in offered)
