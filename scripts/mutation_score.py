"""The mutation score per package from mutmut's results under `mutants/` (scripts/mutation).

A mutant is *killed* when a test failed, timed out or crashed on it; the others (survived,
no test reaches it) count against the score, except the equivalent mutants named in
tests/unit/MUTATION.md (a line "- `mutant.name`: why"), which no test can kill.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}
NOT_RUN = {None, 2, 34}
"""Not checked, interrupted or skipped: left out of the score."""
EQUIVALENT = re.compile(r"^- `(xene\.[^`]+)`", re.MULTILINE)


def equivalents() -> set[str]:
    notes = ROOT / "tests" / "unit" / "MUTATION.md"
    return set(EQUIVALENT.findall(notes.read_text())) if notes.exists() else set()


def results(package: str) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for meta in sorted((ROOT / "mutants" / "src" / "xene" / package).glob("*.py.meta")):
        found |= json.loads(meta.read_text())["exit_code_by_key"]
    return found


def report(package: str, show: bool) -> None:
    codes = {k: v for k, v in results(package).items() if v not in NOT_RUN}
    equivalent = equivalents()
    killed = [k for k, v in codes.items() if v in KILLED]
    alive = sorted(k for k, v in codes.items() if v not in KILLED)
    named = [k for k in alive if k in equivalent]
    counted = len(codes) - len(named)
    score = 100 * len(killed) / counted if counted else 0.0
    print(
        f"{package}/: {score:.1f}% of {counted} mutants killed "
        f"({len(killed)} killed, {len(alive) - len(named)} alive; "
        f"{len(named)} equivalent left out)"
    )
    for name in alive:
        if show and name not in equivalent:
            print(f"    alive: {name}")


def main(argv: list[str]) -> None:
    show = "--alive" in argv
    for package in [a for a in argv if not a.startswith("--")] or ["core", "nodes"]:
        report(package, show)


if __name__ == "__main__":
    main(sys.argv[1:])
