"""Where a child is spawned: on the loop while spawns there are quick, else by the
spawning threads, trying the loop again now and then."""

from __future__ import annotations

from xene.executors.spawn import SpawnWay


def ways(way: SpawnWay, n: int, took_s: float) -> list[bool]:
    chosen = []
    for _ in range(n):
        on_loop = way.on_loop()
        chosen.append(on_loop)
        if on_loop:
            way.took(took_s)
    return chosen


def test_quick_spawns_stay_on_the_loop() -> None:
    assert all(ways(SpawnWay(), 100, 0.0001))


def test_slow_spawns_go_to_the_threads_but_the_loop_is_tried_again() -> None:
    way = SpawnWay()
    chosen = ways(way, 200, 0.005)
    assert chosen[:2] == [True, False]  # one slow spawn is enough to leave the loop
    probes = [i for i in range(2, 201) if i % SpawnWay.PROBE == 0]
    assert [i + 1 for i, on_loop in enumerate(chosen) if on_loop][1:] == probes


def test_spawns_that_become_quick_bring_it_back_to_the_loop() -> None:
    way = SpawnWay()
    ways(way, 50, 0.005)
    assert not way.on_loop()
    while not way.on_loop():  # until the next probe
        pass
    way.took(0.0001)
    assert all(ways(way, 10, 0.0001))
