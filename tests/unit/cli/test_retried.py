"""The attempt headers of a retried node: segments of its life, oldest first."""

from __future__ import annotations

from xene.cli.retried import segments
from xene.store.base import RetriedNode, RunRetry


def retry(number: int, *nodes: tuple[str, str, int], by: str = "alice") -> RunRetry:
    before = tuple(
        RetriedNode(key, state, attempt, None, None, None) for key, state, attempt in nodes
    )
    return RunRetry(number, by, 1_700_000_000.0 + number, None, number * 10, before)


def headers(found: list[object]) -> list[str]:
    return [s.header(now=1_700_000_000.0).split(" (")[0] for s in found]  # type: ignore[attr-defined]


def test_a_node_no_retry_ran_again_has_no_segments() -> None:
    assert segments([retry(1, ("other", "Error", 1))], "build", 1) == []


def test_each_retry_begins_a_segment_and_attempts_go_on_counting() -> None:
    found = segments([retry(1, ("build", "Error", 1)), retry(2, ("build", "Error", 2))], "build", 3)
    assert headers(found) == ["── attempt 1 ──", "── attempt 2", "── attempt 3"]
    assert [s.retry.number if s.retry else None for s in found] == [None, 1, 2]
    assert found[0].ended is not None
    assert found[0].ended.state == "Error"
    assert found[-1].ended is None


def test_a_segment_of_several_attempts_names_them_all() -> None:
    found = segments([retry(1, ("build", "Error", 3))], "build", 5)
    assert headers(found) == ["── attempts 1-3 ──", "── attempts 4-5"]


def test_a_retry_in_which_the_node_did_not_run_has_no_segment() -> None:
    found = segments(
        [retry(1, ("deploy", "NotExecuted", 0)), retry(2, ("deploy", "NotExecuted", 0))],
        "deploy",
        1,
    )
    assert headers(found) == ["── attempt 1"]
    assert found[0].retry is not None
    assert found[0].retry.number == 2


def test_the_header_of_a_retry_says_who_and_when() -> None:
    (_, current) = segments([retry(1, ("build", "Error", 1), by="bob")], "build", 2)
    assert current.header().startswith("── attempt 2 (retry by bob at ")
    assert current.header().endswith(") ──")
