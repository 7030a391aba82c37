"""Run ids: time-sortable, and in the order they were made within one millisecond."""

from __future__ import annotations

from xene.engine.clock import new_id

AT = 1_700_000_000.5


def test_ids_of_one_millisecond_sort_in_the_order_they_were_made() -> None:
    ids = [new_id(AT) for _ in range(50)]
    assert sorted(ids) == ids
    assert len(set(ids)) == 50


def test_an_id_of_a_later_millisecond_sorts_after() -> None:
    assert new_id(AT + 0.01) > new_id(AT) > new_id(AT - 0.01)


def test_an_id_is_26_characters_of_crockford_base32() -> None:
    made = new_id(AT)
    assert len(made) == 26
    assert set(made) <= set("0123456789abcdefghjkmnpqrstvwxyz")


def test_ids_of_one_millisecond_differ_in_their_first_20_characters() -> None:
    """A prefix names an id (`xene show 01m8s3fa96bfr70n1tmd`)."""
    ids = [new_id(AT)[:20] for _ in range(50)]
    assert len(set(ids)) == 50


def test_ids_made_for_other_times_in_between_do_not_break_the_order() -> None:
    ids = []
    for i in range(50):
        ids.append(new_id(AT))
        new_id(AT + 1 + i)  # another clock, another thread
    assert sorted(ids) == ids
