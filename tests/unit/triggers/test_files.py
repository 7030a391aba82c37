"""Filesystem triggers without watching: params, roots and filters."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from xene.ir import Trigger
from xene.triggers.base import TriggerEvent
from xene.triggers.files import FileTrigger, Watch, inside_roots


def watching(path: Path | str, **params: Any) -> Trigger:
    return Trigger("inbox", "filesystem", {"path": str(path), **params})


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "inbox").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "root"


def test_a_path_inside_a_root_is_accepted_and_resolved(root: Path) -> None:
    source = FileTrigger.from_trigger("wf", watching(root / "inbox" / ".." / "inbox"), [root])
    assert source.watch.path == (root / "inbox").resolve()
    assert source.name == "wf/inbox"


def test_the_root_itself_may_be_watched(root: Path) -> None:
    assert inside_roots(root, [root]) == root.resolve()


def test_a_path_outside_the_roots_is_refused(root: Path) -> None:
    with pytest.raises(ValueError, match="may only watch inside"):
        FileTrigger.from_trigger("wf", watching(root.parent / "elsewhere"), [root])


def test_dot_dot_cannot_climb_out_of_a_root(root: Path) -> None:
    with pytest.raises(ValueError, match=r"resolves to .*elsewhere"):
        inside_roots(root / "inbox" / ".." / ".." / "elsewhere", [root])


def test_a_symlink_inside_a_root_pointing_outside_is_refused(root: Path) -> None:
    (root / "link").symlink_to(root.parent / "elsewhere")
    with pytest.raises(ValueError, match="may only watch inside"):
        inside_roots(root / "link", [root])


def test_a_root_that_is_a_prefix_of_another_name_does_not_admit_it(root: Path) -> None:
    sibling = root.parent / "root-not-really"
    sibling.mkdir()
    with pytest.raises(ValueError, match="may only watch inside"):
        inside_roots(sibling, [root])


def test_without_roots_nothing_may_be_watched(root: Path) -> None:
    with pytest.raises(ValueError, match="no filesystem roots are configured"):
        inside_roots(root, [])


def test_several_roots_any_of_them_admits(root: Path) -> None:
    other = root.parent / "elsewhere"
    assert inside_roots(other, [root, other]) == other.resolve()


def test_watch_reads_the_params() -> None:
    trigger = watching("/in", events=["created"], recursive=False, pattern="*.csv")
    assert Watch.of(trigger) == Watch(Path("/in"), frozenset({"created"}), False, "*.csv")
    assert Watch.of(watching("/in", events="deleted")).events == {"deleted"}
    assert Watch.of(watching("/in")).events == {"created", "modified", "deleted"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"path": ""}, 'needs a "path"'),
        ({"path": "/in", "events": ["renamed"]}, "events is a list among created"),
        ({"path": "/in", "events": []}, "events is a list among created"),
        ({"path": "/in", "recursive": "yes"}, "recursive must be true or false"),
        ({"path": "/in", "pattern": 3}, "pattern is a glob"),
    ],
)
def test_unusable_params_are_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Watch.of(Trigger("inbox", "filesystem", params))


def test_events_and_pattern_filter_the_changes() -> None:
    watch = Watch(Path("/in"), frozenset({"created"}), pattern="*.csv")
    assert watch.fires("created", Path("/in/a.csv"))
    assert watch.fires("created", Path("/in/sub/a.csv"))
    assert not watch.fires("created", Path("/in/a.txt"))
    assert not watch.fires("deleted", Path("/in/a.csv"))
    nested = Watch(Path("/in"), pattern="sub/*.csv")
    assert nested.fires("modified", Path("/in/sub/a.csv"))
    assert not nested.fires("modified", Path("/in/a.csv"))


def test_a_watched_file_matches_the_pattern_by_its_name() -> None:
    assert Watch(Path("/in/a.csv"), pattern="*.csv").fires("modified", Path("/in/a.csv"))


async def test_a_path_that_does_not_exist_fails_when_run(root: Path) -> None:
    source = FileTrigger.from_trigger("wf", watching(root / "missing"), [root])

    async def emit(event: TriggerEvent) -> None:
        raise AssertionError("no event expected")

    with pytest.raises(FileNotFoundError, match="does not exist"):
        await source.run(emit)


async def changes(source: FileTrigger, *paths: Path) -> list[Any]:
    """The inputs the trigger emits for a `created` change of each path."""
    emitted: list[Any] = []

    async def emit(event: TriggerEvent) -> None:
        emitted.append(event.input)

    for path in paths:
        await source._changed("created", path, emit)
    return emitted


async def test_a_symlink_to_elsewhere_in_the_roots_still_fires(root: Path) -> None:
    (root / "archive").mkdir()
    (root / "inbox" / "old").symlink_to(root / "archive", target_is_directory=True)
    source = FileTrigger.from_trigger("wf", watching(root / "inbox"), [root])
    through_link = root / "inbox" / "old" / "a.csv"
    assert await changes(source, through_link) == [{"path": str(through_link), "event": "created"}]


async def test_a_change_resolving_out_of_the_roots_is_dropped_and_warned_once(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (root / "inbox" / "out").symlink_to(root.parent / "elsewhere", target_is_directory=True)
    (root / "inbox" / "passwd").symlink_to(root.parent / "elsewhere" / "passwd")
    source = FileTrigger.from_trigger("wf", watching(root / "inbox"), [root])
    out, passwd = root / "inbox" / "out" / "x.csv", root / "inbox" / "passwd"
    with caplog.at_level(logging.WARNING, "xene.triggers.files"):
        assert await changes(source, out, out, passwd, passwd, out) == []
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    first, second = (r.getMessage() for r in caplog.records)
    assert (str(out) in first, str(passwd) in second) == (True, True)
