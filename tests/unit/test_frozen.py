"""`@frozen` behaves as `@dataclass(frozen=True, slots=True)`: the same equality, hash,
repr, errors and dataclass functions, only cheaper to define."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from xene.frozen import frozen, slotted


@frozen
class Made:
    a: int
    b: str = "x"
    items: tuple[int, ...] = ()
    seen: list[Any] = field(default_factory=list, compare=False)
    weight: float = field(default=0.0, repr=False, hash=False)
    child: Made | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    a: int
    b: str = "x"
    items: tuple[int, ...] = ()
    seen: list[Any] = field(default_factory=list, compare=False)
    weight: float = field(default=0.0, repr=False, hash=False)
    child: Reference | None = None


ARGS: list[tuple[Any, ...]] = [(1,), (2, "y", (3,), [4], 5.0), (float("nan"),)]


@pytest.mark.parametrize("args", ARGS)
def test_equality_hash_and_repr_are_the_dataclass_ones(args: tuple[Any, ...]) -> None:
    made, reference = Made(*args), Reference(*args)
    assert repr(made).replace("Made", "Reference") == repr(reference)
    assert hash(made) == hash(reference)
    assert (made == Made(*args)) == (reference == Reference(*args))
    assert made != Made(99)
    assert made.__eq__(object()) is NotImplemented
    assert Made(1, seen=[1]) == Made(1, seen=[2])  # compare=False
    assert hash(Made(1, weight=1.0)) == hash(Made(1, weight=2.0))  # hash=False


def test_nested_and_recursive_repr() -> None:
    assert repr(Made(1, child=Made(2))) == repr(Reference(1, child=Reference(2))).replace(
        "Reference", "Made"
    )
    looped = Made(1, seen=[])
    looped.seen.append(looped)
    assert repr(looped) == "Made(a=1, b='x', items=(), seen=[...], child=None)"


def test_frozen_slots_and_dataclass_functions() -> None:
    made = Made(1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'a'"):
        made.a = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'a'"):
        del made.a
    assert not hasattr(made, "__dict__")
    assert Made.__match_args__ == Reference.__match_args__
    assert dataclasses.replace(made, a=3) == Made(3)
    assert dataclasses.asdict(made) == dataclasses.asdict(Reference(1))
    assert pickle.loads(pickle.dumps(made)) == made
    assert Made.__eq__.__qualname__ == "Made.__eq__"
    assert Made.__doc__ == Reference.__doc__.replace("Reference", "Made")  # type: ignore[union-attr]
    assert Made(1).seen is not Made(1).seen  # one list each, from the factory


@frozen
class Keyed:  # noqa: PLW1641 (its hash is the one @frozen adds, as dataclass does)
    x: int

    def __eq__(self, other: object) -> bool:  # its own: kept, and hashed over the fields
        return isinstance(other, Keyed)

    def __repr__(self) -> str:
        return "keyed"


def test_the_class_own_methods_are_kept() -> None:
    assert Keyed(1) == Keyed(2)
    assert repr(Keyed(1)) == "keyed"
    assert hash(Keyed(1)) == hash((1,))


def _undocumented(decorate: Any) -> Any:
    @decorate
    class Indexed:
        items: tuple[int, ...]
        total: int = field(init=False, repr=False, compare=False)
        tag: str = field(init=False, default="t")
        made: list[int] = field(init=False, default_factory=list, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "total", sum(self.items))

    return Indexed


def test_fields_left_out_of_init_and_post_init() -> None:
    made, reference = _undocumented(frozen), _undocumented(dataclass(frozen=True, slots=True))
    assert made.__doc__ == reference.__doc__
    indexed = made((1, 2))
    assert (indexed.total, indexed.tag, indexed.made) == (3, "t", [])
    assert repr(indexed) == repr(reference((1, 2)))
    assert hash(indexed) == hash(reference((1, 2)))
    assert made.__init__.__annotations__ == reference.__init__.__annotations__
    with pytest.raises(TypeError):
        made((1,), 5)


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @frozen
        class Wrong:
            a: int = 0
            b: int  # type: ignore[misc]


def test_what_it_does_not_write_itself_is_the_dataclass() -> None:
    @frozen
    class Keywords:
        a: int = field(kw_only=True)

    assert Keywords(a=1) == Keywords(a=1)
    with pytest.raises(TypeError):
        Keywords(1)  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Keywords(a=1).a = 2  # type: ignore[misc]


def test_fields_without_defaults_after_factories_are_refused_as_dataclass_does() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @frozen
        class Wrong:
            a: list[int] = field(default_factory=list)
            b: int  # type: ignore[misc]


def test_classes_it_does_not_make_itself_are_dataclasses() -> None:
    class Base:
        pass

    @frozen
    class Derived(Base):
        a: int
        b: ClassVar[int] = 3

    assert dataclasses.fields(Derived)[0].name == "a"
    assert Derived.b == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        Derived(1).a = 2  # type: ignore[misc]
    with pytest.raises(ValueError, match="mutable default"):

        @frozen
        class Mutable:
            a: list[int] = []  # noqa: RUF012 (the error under test)


def test_classes_of_as_many_fields_share_no_names() -> None:
    @frozen
    class One:
        x: int
        y: str = "y"

    @frozen
    class Other:
        left: int
        right: str = "r"

    assert (One(1), Other(left=2)) == (One(1, "y"), Other(2, "r"))
    assert repr(Other(right="z", left=3)).endswith(".Other(left=3, right='z')")
    assert One.__init__.__defaults__ == ("y",)
    assert dataclasses.fields(Other)[1].default == "r"
    assert Other.__doc__ == "Other(left: 'int', right: 'str' = 'r')"
    with pytest.raises(TypeError):
        Other(1, x=2)  # type: ignore[call-arg]


@slotted
class Changing:
    a: int
    b: str = "x"
    seen: list[Any] = field(default_factory=list, compare=False)
    total: int = field(init=False, default=0, repr=False)


@dataclass(slots=True)
class ChangingReference:
    a: int
    b: str = "x"
    seen: list[Any] = field(default_factory=list, compare=False)
    total: int = field(init=False, default=0, repr=False)


def test_slotted_is_a_mutable_slotted_dataclass() -> None:
    made, reference = Changing(1, seen=[2]), ChangingReference(1, seen=[2])
    assert repr(made).replace("Changing", "ChangingReference") == repr(reference)
    assert made == Changing(1)
    assert made != Changing(2)
    assert Changing.__hash__ is None
    assert ChangingReference.__hash__ is None
    made.a, made.total = 5, 3
    assert (made.a, made.total) == (5, 3)
    assert not hasattr(made, "__dict__")
    assert Changing(1).seen is not Changing(1).seen
    assert Changing.__match_args__ == ChangingReference.__match_args__
    assert Changing.__doc__ == ChangingReference.__doc__.replace("ChangingReference", "Changing")  # type: ignore[union-attr]
    assert dataclasses.asdict(made) == {"a": 5, "b": "x", "seen": [2], "total": 3}
    assert dataclasses.replace(made, b="y") == Changing(5, "y")
    assert pickle.loads(pickle.dumps(made)) == made
    assert not dataclasses.fields(Changing)[0].kw_only
