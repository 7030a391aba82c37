"""`@frozen`: `@dataclass(frozen=True, slots=True)` at a third of the cost to define.

A frozen dataclass compiles six functions from source text when its class is defined;
for the sixty-odd value classes on the path of `xene run` that was a third of its start.
Here `dataclasses` makes the fields, slots and `__match_args__`; only `__init__` is
compiled, and the frozen `__setattr__`/`__delattr__`, `__eq__`, `__hash__`, `__repr__`
and the pickling of slots are shared functions over the fields, with the dataclass's
results (tests/unit/test_frozen.py holds them to it). `fields`, `replace`, `asdict` and
`is_dataclass` see a frozen dataclass. Classes with `InitVar`, keyword-only fields or
dataclass bases get `dataclass` itself.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type[T], /) -> type[T]:
    own = dict(cls.__dict__)
    if not _plain(cls, own):
        return dataclasses.dataclass(cls, frozen=True, slots=True)
    if not own.get("__doc__"):
        cls.__doc__ = "-"  # not worded twice: dataclass would, from the signature it has
    made: Any = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=True)
    fields = dataclasses.fields(made)
    names = frozenset(f.name for f in fields)
    for name in ("__setattr__", "__delattr__"):
        if name in own:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    _add(made, _setattr(made, names))
    _add(made, _delattr(made, names))
    for method in (_getstate(fields), _setstate(fields)):  # slots pickled, as dataclass's
        if method.__name__ not in own:
            _add(made, method)
    if "__init__" not in own:
        _add(made, _init(made, fields))
    if not own.get("__doc__"):  # as dataclass words it, now that __init__ is there
        import inspect

        made.__doc__ = made.__name__ + str(inspect.signature(made)).replace(" -> None", "")
    if "__repr__" not in own:
        _add(made, _repr([f.name for f in fields if f.repr]))
    if "__eq__" not in own:
        _add(made, _eq(_values([f.name for f in fields if f.compare])))
    if not _explicit_hash(own):  # the rule of `dataclass(eq=True, frozen=True)`
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        _add(made, _hash(_values(hashed)))
    params = made.__dataclass_params__  # what it is, for dataclasses' checks of subclasses
    params.init = params.repr = params.eq = params.frozen = True
    return made  # type: ignore[no-any-return]


def _plain(cls: type, own: dict[str, Any]) -> bool:
    """No dataclass bases, InitVar or keyword-only fields: what `_init` writes."""
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        return False
    types = own.get("__annotations__", {}).values()
    if any("InitVar" in str(t) or "KW_ONLY" in str(t) for t in types):
        return False
    return not any(isinstance(v, Field) and v.kw_only is True for v in own.values())


_FACTORY = object()
"""The default of a parameter whose field has a default_factory."""


def _init(cls: Any, fields: tuple[Field[Any], ...]) -> Callable[..., None]:
    """`__init__` as dataclass writes it: each field set with `object.__setattr__`."""
    params, body = ["self"], []
    space: dict[str, Any] = {"__name__": cls.__module__, "_set": object.__setattr__}
    space["_FACTORY"] = _FACTORY
    defaulted = False
    for f in fields:
        name, default, factory = f.name, f"_d_{f.name}", f"_f_{f.name}"
        has_default, has_factory = f.default is not MISSING, f.default_factory is not MISSING
        space[default], space[factory] = f.default, f.default_factory
        if f.init:
            if defaulted and not (has_default or has_factory):
                raise TypeError(f"non-default argument {name!r} follows default argument")
            defaulted = defaulted or has_default or has_factory
            given = f"={default}" if has_default else "=_FACTORY" if has_factory else ""
            params.append(name + given)
            value = f"{factory}() if {name} is _FACTORY else {name}" if has_factory else name
        elif has_default or has_factory:
            value = default if has_default else f"{factory}()"
        else:
            continue
        body.append(f"  _set(self, {name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    exec(f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "  pass"), space)
    init: Callable[..., None] = space["__init__"]
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


def _add(cls: Any, method: Callable[..., Any]) -> None:
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    setattr(cls, method.__name__, method)


def _explicit_hash(own: dict[str, Any]) -> bool:
    """A `__hash__` the class body defines (Python sets it to None beside an `__eq__`)."""
    found = own.get("__hash__", MISSING)
    return not (found is MISSING or (found is None and "__eq__" in own))


def _setattr(cls: Any, names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _delattr(cls: Any, names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _getstate(fields: tuple[Field[Any], ...]) -> Callable[[Any], list[Any]]:
    values = [f.name for f in fields]

    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, name) for name in values]

    return __getstate__


def _setstate(fields: tuple[Field[Any], ...]) -> Callable[[Any, list[Any]], None]:
    values = [f.name for f in fields]

    def __setstate__(self: Any, state: list[Any]) -> None:
        for name, value in zip(values, state, strict=False):
            object.__setattr__(self, name, value)  # the class's own refuses: it is frozen

    return __setstate__


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
