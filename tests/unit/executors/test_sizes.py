from __future__ import annotations

import pytest

from xene.executors import sizes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("256m", 256 * 1024**2),
        ("256M", 256 * 1024**2),
        ("1g", 1024**3),
        ("1.5g", 1536 * 1024**2),
        ("8192k", 8 * 1024**2),
        ("512mb", 512 * 1024**2),
        ("2GiB", 2 * 1024**3),
        ("7340032", 7340032),
        ("7340032b", 7340032),
        (" 64m ", 64 * 1024**2),
        (7340032, 7340032),
    ],
)
def test_a_memory_size_is_read_in_binary_units(text: str | int, expected: int) -> None:
    assert sizes.parse_memory(text) == expected


@pytest.mark.parametrize("text", ["", "m", "lots", "256q", "-1g", "1 g b", "0x10m", "1e9"])
def test_text_that_is_no_size_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a memory size; write bytes .* \"256m\""):
        sizes.parse_memory(text)


@pytest.mark.parametrize("value", [True, 1.5, None, ["1g"]])
def test_a_value_of_another_kind_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="expected a memory size"):
        sizes.parse_memory(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["512k", "5m", 1024, "0"])
def test_a_size_below_dockers_minimum_is_refused(text: str | int) -> None:
    with pytest.raises(ValueError, match="below Docker's minimum of 6m"):
        sizes.parse_memory(text)


def test_the_minimum_itself_is_accepted() -> None:
    assert sizes.parse_memory("6m") == sizes.MIN_MEMORY


@pytest.mark.parametrize(
    ("size", "text"),
    [(256 * 1024**2, "256m"), (1024**3, "1g"), (1536 * 1024**2, "1536m"), (7340033, "7340033")],
)
def test_a_size_is_written_back_in_its_largest_exact_unit(size: int, text: str) -> None:
    assert sizes.format_memory(size) == text
    assert sizes.parse_memory(text) == size
