"""Optional parts of Xene, and the extra that installs each: an optional import, or a
clear error saying what to install (`pip install 'xene[server]'`), never a traceback.

    uvicorn = extras.require("uvicorn", "xene serve")

`xene` itself turns a `MissingExtra` (or a `ModuleNotFoundError` for a module listed
here) into that message and exit code 2.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from xene.errors import XeneError

EXTRAS = {
    "uvicorn": "server",
    "httptools": "server",
    "fastapi": "server",
    "starlette": "server",
    "jwt": "server",
    "prometheus_client": "server",
    "watchfiles": "server",
    "fastapi_offline": "server",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
    "docker": "docker",
}
"""Top-level module -> the extra (pyproject.toml) that installs it."""


class MissingExtra(XeneError):
    """An optional part of Xene is not installed."""

    def __init__(self, what: str, module: str, extra: str) -> None:
        super().__init__(
            f"{what} needs {module}, which is not installed: pip install 'xene[{extra}]'"
        )
        self.extra = extra


def require(module: str, what: str) -> ModuleType:
    """Import an optional module; raise MissingExtra naming its extra when it is missing."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = missing_extra(exc, what)
        if missing is None:
            raise
        raise missing from None


def require_extra(extra: str, what: str) -> None:
    """Check, before starting anything, that every module of `extra` imports."""
    for module, needed_by in EXTRAS.items():
        if needed_by == extra and module != "starlette":  # fastapi brings starlette
            require(module, what)


def missing_extra(exc: ModuleNotFoundError, what: str) -> MissingExtra | None:
    """The MissingExtra for a failed import of an optional module; None for any other
    module (a broken install or a bug: its traceback tells more)."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    return None if extra is None else MissingExtra(what, top, extra)
