"""`@frozen`: `@dataclass(frozen=True, slots=True)` that costs half as much to define.

A dataclass compiles six functions from source text when its class is defined; for the
sixty-odd value classes on the path of `xene run` that was a third of its start. Here
`dataclasses` compiles only `__init__` and the frozen `__setattr__`/`__delattr__`, and
`__eq__`, `__hash__` and `__repr__` are shared functions over the fields (the same
results: fields compared and hashed as a tuple, `Name(field=value, ...)`). Everything
else (`fields`, `replace`, `asdict`, `__match_args__`, slots, pickling) is the dataclass.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def frozen(cls: type[T], /) -> type[T]: ...
@overload
def frozen(*, kw_only: bool = False, slots: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(
    cls: type[T] | None = None, /, *, kw_only: bool = False, slots: bool = True
) -> type[T] | Callable[[type[T]], type[T]]:
    def wrap(cls: type[T]) -> type[T]:
        own = dict(cls.__dict__)
        made: Any = dataclasses.dataclass(
            cls, eq=False, repr=False, frozen=True, slots=slots, kw_only=kw_only
        )
        fields = dataclasses.fields(made)
        if "__repr__" not in own:
            _add(made, _repr([f.name for f in fields if f.repr]))
        if "__eq__" not in own:
            _add(made, _eq(_values([f.name for f in fields if f.compare])))
        if not _explicit_hash(own):  # the rule of `dataclass(eq=True, frozen=True)`
            hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
            _add(made, _hash(_values(hashed)))
        made_type: type[T] = made
        return made_type

    return wrap if cls is None else wrap(cls)


def _add(cls: Any, method: Callable[..., Any]) -> None:
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    setattr(cls, method.__name__, method)


def _explicit_hash(own: Any) -> bool:
    """A `__hash__` the class body defines (Python sets it to None beside an `__eq__`)."""
    found = own.get("__hash__", dataclasses.MISSING)
    return not (found is dataclasses.MISSING or (found is None and "__eq__" in own))


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values as a tuple, as the dataclass's own methods compare them."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    if not names:
        return lambda obj: ()
    return attrgetter(*names)


def _eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _repr(names: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__
