"""`@frozen`: `@dataclass(frozen=True, slots=True)` at a fifth of the cost to define.

A frozen dataclass compiles six functions from source text when its class is defined,
and `slots=True` makes the class twice; for the sixty-odd value classes on the path of
`xene run` that was a third of its start. Here the fields are made as dataclass makes
them, and the slotted class once, with its methods: the frozen `__setattr__` and
`__delattr__`, `__eq__`, `__hash__`, `__repr__` and the pickling of slots are shared
functions over the fields, and `__init__`, dataclass's own text, is compiled once per
shape of fields and renamed (tests/unit/test_frozen.py holds them to the dataclass's
results). `@slotted` does the same for `@dataclass(slots=True)`. `fields`, `replace`,
`asdict` and `is_dataclass` see them as dataclasses. A class with bases, `ClassVar`,
`InitVar`, keyword-only fields or a mutable default gets `dataclass` itself.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import reprlib
import types
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type[T], /) -> type[T]:
    own = dict(cls.__dict__)
    fields = _plain_fields(cls, own)
    if fields is None:
        return dataclasses.dataclass(cls, frozen=True, slots=True)
    for name in ("__setattr__", "__delattr__"):
        if name in own:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    made: Any = type(cls.__name__, (object,), _namespace(cls, own, fields, frozen=True))
    names = frozenset(fields)
    _add(made, _setattr(made, names))  # these two name the class: added once it is made
    _add(made, _delattr(made, names))
    _document(made, own)
    return made  # type: ignore[no-any-return]


@dataclass_transform(field_specifiers=(dataclasses.field,))
def slotted(cls: type[T], /) -> type[T]:
    """`@dataclass(slots=True)`, made as `@frozen` makes its classes: for the records
    that change while the engine owns them."""
    own = dict(cls.__dict__)
    fields = _plain_fields(cls, own)
    if fields is None or "__setattr__" in own:  # its __init__ goes through that one
        return dataclasses.dataclass(cls, slots=True)
    made: Any = type(cls.__name__, (object,), _namespace(cls, own, fields, frozen=False))
    _document(made, own)
    return made  # type: ignore[no-any-return]


def _document(made: Any, own: dict[str, Any]) -> None:
    if not own.get("__doc__"):  # as dataclass words it, now that __init__ is there
        import inspect

        made.__doc__ = made.__name__ + str(inspect.signature(made)).replace(" -> None", "")


def _namespace(
    cls: type, own: dict[str, Any], fields: dict[str, Field[Any]], frozen: bool
) -> dict[str, Any]:
    """The slotted class's namespace: the class body's less the fields' defaults (slots
    stand there), with the methods dataclass would add. All at once: `dataclass(slots=True)`
    makes each class twice, and each method set on a class made is a slot update."""
    space = {k: v for k, v in own.items() if k not in fields and k not in _UNSLOTTED}
    space["__qualname__"] = cls.__qualname__
    space["__slots__"] = tuple(fields)
    space["__dataclass_fields__"] = fields
    space["__dataclass_params__"] = _PARAMS if frozen else _MUTABLE
    listed = tuple(fields.values())
    added = [_getstate(listed), _setstate(listed)] if frozen else []  # as dataclass's
    if "__init__" not in own:
        added.append(_init(cls, listed, frozen))
    if "__repr__" not in own:
        added.append(_repr([f.name for f in listed if f.repr]))
    if "__eq__" not in own:
        added.append(_eq(_values([f.name for f in listed if f.compare])))
    if frozen and not _explicit_hash(own):  # the rule of `dataclass(eq=True, frozen=True)`
        hashed = [f.name for f in listed if (f.compare if f.hash is None else f.hash)]
        added.append(_hash(_values(hashed)))
    for method in added:
        if space.get(method.__name__) is None:  # the body's own kept (a None hash is not)
            method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
            space[method.__name__] = method
    if not frozen and not _explicit_hash(own):
        space["__hash__"] = None  # mutable and compared by value: unhashable, as dataclass's
    space.setdefault("__match_args__", tuple(f.name for f in listed if f.init))
    return space


def _plain_fields(cls: type, own: dict[str, Any]) -> dict[str, Field[Any]] | None:
    """The fields of a class `_namespace` can make, made as dataclass makes them; None
    for the rest (bases, a metaclass, ClassVar, InitVar, keyword-only fields, own slots,
    a mutable default...): `dataclass` itself makes those, with its checks and errors."""
    if cls.__bases__ != (object,) or type(cls) is not type or "__slots__" in own:
        return None
    fields: dict[str, Field[Any]] = {}
    for name, kind in own.get("__annotations__", {}).items():
        if not isinstance(kind, str) or "ClassVar" in kind or "InitVar" in kind:
            return None
        if "KW_ONLY" in kind:
            return None
        value = own.get(name, MISSING)
        made: Field[Any] = value if isinstance(value, Field) else dataclasses.field(default=value)
        if made.kw_only is True or made.default.__class__.__hash__ is None:
            return None
        if made.kw_only is MISSING:
            made.kw_only = False
        made.name, made.type, made._field_type = name, kind, _FIELD  # type: ignore[attr-defined]
        fields[name] = made
    for key, value in own.items():
        if isinstance(value, Field) and key not in fields:
            return None  # a field without an annotation: dataclass's error
    return fields


@dataclasses.dataclass(init=False, repr=False, eq=False)  # no method to compile
class _Template:
    """One dataclass made by dataclass itself: its field's mark is what `fields` and
    `replace` look for, and its parameters, once said frozen, are every frozen class's."""

    field: int


_PARAMS = _Template.__dataclass_params__  # type: ignore[attr-defined]
_PARAMS.init = _PARAMS.repr = _PARAMS.eq = True  # what @frozen and @slotted make
_MUTABLE = copy.copy(_PARAMS)
_PARAMS.frozen = True
_FIELD = dataclasses.fields(_Template)[0]._field_type  # type: ignore[attr-defined]
_UNSLOTTED = ("__dict__", "__weakref__")


class _Factory:
    """The default of a parameter whose field has a default_factory."""

    def __repr__(self) -> str:
        return "<factory>"  # as dataclass shows it in signatures


_FACTORY = _Factory()


def _init(cls: Any, fields: tuple[Field[Any], ...], frozen: bool) -> Callable[..., None]:
    """`__init__` as dataclass writes it: each field set (with `object.__setattr__` when
    the class is frozen).

    Compiling it costs as much as the rest of the class, so it is compiled once per shape
    (which fields are parameters, defaulted or made by a factory, and a `__post_init__`),
    the fields named "_0", "_1"..., and renamed for each class: its code names the fields
    only as its parameters and as constants."""
    space = {"__name__": cls.__module__, "_set": object.__setattr__, "_FACTORY": _FACTORY}
    defaults: list[Any] = []
    shape = ""
    for i, f in enumerate(fields):
        kind = _kind(f)
        if kind == "f" or (kind == "p" and f.default is not MISSING):
            defaults.append(_FACTORY if kind == "f" else f.default)
        elif kind == "p" and defaults:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        if kind in "dfg":  # what the template's code takes from its globals
            space[f"_d{i}"], space[f"_f{i}"] = f.default, f.default_factory
        shape += kind
    code = _template(shape, hasattr(cls, "__post_init__"), frozen)
    named = {f"_{i}": f.name for i, f in enumerate(fields)}
    params = ("self", *[f.name for f in fields if f.init])
    if frozen:  # the fields are named by constants: `_set(self, "_0", _0)`
        consts = [named.get(c, c) if type(c) is str else c for c in code.co_consts]
        code = code.replace(co_varnames=params, co_consts=tuple(consts))
    else:  # and here as attributes: `self._0 = _0`
        attributes = [named.get(name, name) for name in code.co_names]
        code = code.replace(co_varnames=params, co_names=tuple(attributes))
    init: Callable[..., None] = types.FunctionType(code, space, "__init__", tuple(defaults))
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


def _kind(f: Field[Any]) -> str:
    """A parameter (p), or one made by a factory when not given (f); not a parameter: set
    to its default (d), made by its factory (g), or left unset (x)."""
    factory = f.default_factory is not MISSING
    if f.init:
        return "f" if factory else "p"
    return "g" if factory else "d" if f.default is not MISSING else "x"


_VALUE = {"p": "_{i}", "f": "_f{i}() if _{i} is _FACTORY else _{i}", "d": "_d{i}", "g": "_f{i}()"}
_SET = {True: "  _set(self, '_{i}', {value})", False: "  self._{i} = {value}"}


@functools.cache
def _template(shape: str, post_init: bool, frozen: bool) -> types.CodeType:
    """The `__init__` of fields "_0", "_1"... of these kinds (`_kind`)."""
    params = ["self", *(f"_{i}" for i, kind in enumerate(shape) if kind in "pf")]
    body = [
        _SET[frozen].format(i=i, value=_VALUE[kind].format(i=i))
        for i, kind in enumerate(shape)
        if kind != "x"
    ]
    body += ["  self.__post_init__()"] if post_init else []
    space: dict[str, Any] = {}
    exec(f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "  pass"), space)
    code: types.CodeType = space["__init__"].__code__
    return code


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
