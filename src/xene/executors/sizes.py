"""Memory sizes as `docker run --memory` takes them: `256m`, `1g`, `512k`, bytes.

Pure parsing, shared by the definition loaders (which check the text and keep it) and the
container executor (which hands the engine bytes). Units are binary, as Docker's are:
`1k` is 1024 bytes.
"""

from __future__ import annotations

import re

_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?", re.IGNORECASE)

MIN_MEMORY = 6 * 1024**2
"""The smallest limit Docker accepts (6 MiB): a smaller one fails every run."""


def parse_memory(text: str | int) -> int:
    """Bytes from `"256m"`, `"1g"`, `"1.5g"`, `"512k"`, `"1048576"` or an int of bytes.

    Raises ValueError, saying what to write, for anything else or for a size below
    Docker's minimum of 6m.
    """
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise ValueError(f'expected a memory size such as "256m", "1g" or bytes, got {text!r}')
    size = text if isinstance(text, int) else _parse_text(text.strip())
    if size < MIN_MEMORY:
        raise ValueError(
            f"memory {text!r} is below Docker's minimum of 6m (6 MiB); "
            'give at least "6m", such as "256m"'
        )
    return size


def _parse_text(text: str) -> int:
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a memory size; write bytes (1048576) or a number with a unit, "
            'such as "512k", "256m" or "1g" (units: b, k, m, g, t; 1k = 1024 bytes)'
        )
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit.lower()])


def format_memory(size: int) -> str:
    """The shortest exact text for `size` bytes (`268435456` -> `"256m"`), for messages."""
    for unit in ("t", "g", "m", "k"):
        if size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]}{unit}"
    return str(size)
