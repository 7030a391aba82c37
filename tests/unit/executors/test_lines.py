"""Output cut into lines (executors/lines.py): what every executor hands on."""

from __future__ import annotations

from xene.executors.lines import MAX_LINE, split_lines


def test_complete_lines_are_handed_on_and_the_unfinished_one_kept() -> None:
    assert split_lines(b"par", b"tial\nnext\nstill") == ([b"partial", b"next"], b"still")
    assert split_lines(b"still", b" going\n") == ([b"still going"], b"")


def test_an_empty_line_is_a_line() -> None:
    assert split_lines(b"", b"\n\n") == ([b"", b""], b"")


def test_a_line_longer_than_the_limit_comes_in_pieces_of_the_limit() -> None:
    lines, rest = split_lines(b"", b"x" * (2 * MAX_LINE + 5))
    assert lines == [b"x" * MAX_LINE, b"x" * MAX_LINE]
    assert rest == b"x" * 5
