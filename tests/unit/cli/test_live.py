"""The live view of `xene run`, rendered by rich at a fixed width with an injected clock:
a running node's elapsed time, and columns that stay where they are."""

from __future__ import annotations

from rich.console import Console

from xene.cli.live import LiveDisplay, _Table
from xene.core.records import NodeRecord, RunRecord
from xene.core.states import State

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def display() -> tuple[LiveDisplay, Clock, RunRecord]:
    clock = Clock()
    console = Console(record=True, width=100, color_system=None, force_terminal=False)
    live = LiveDisplay(console, clock=clock)
    run = RunRecord("01hx", "shop", "ci", state=State.RUNNING, started_at=T0)
    for key in ("checkout", "build", "test-integration"):
        run.nodes[key] = NodeRecord(key, key, "xene::task")
    live.run = run
    return live, clock, run


def render(live: LiveDisplay) -> list[str]:
    live.console.print(_Table(live))
    return live.console.export_text(clear=True).splitlines()


def row(lines: list[str], key: str) -> str:
    return next(line for line in lines if f" {key} " in f" {line} ")


def test_a_running_node_shows_the_time_it_has_run_so_far() -> None:
    live, clock, run = display()
    build = run.nodes["build"]
    build.state, build.started_at = State.RUNNING, T0
    clock.now = T0 + 3.25
    assert row(render(live), "build").split()[-1] == "3.2s"
    clock.now = T0 + 150
    assert row(render(live), "build").split()[-1] == "2m30s"


def test_a_finished_node_shows_how_long_it_ran_whatever_the_clock_says() -> None:
    live, clock, run = display()
    build = run.nodes["build"]
    build.state, build.started_at, build.ended_at = State.SUCCESS, T0, T0 + 0.5
    clock.now = T0 + 999
    assert "500ms" in row(render(live), "build")


def test_columns_keep_their_places_as_states_and_times_change() -> None:
    live, clock, run = display()
    build = run.nodes["build"]
    seen = []
    for state, started, ended, now, shown in (
        (State.NOT_EXECUTED, None, None, T0, ""),
        (State.RUNNING, T0, None, T0 + 0.2, "200ms"),
        (State.RUNNING, T0, None, T0 + 75, "75.0s"),
        (State.WAITING, T0, None, T0 + 80, "80.0s"),
        (State.SUCCESS, T0, T0 + 612, T0 + 700, "10m12s"),
    ):
        build.state, build.started_at, build.ended_at, clock.now = state, started, ended, now
        line = row(render(live), "build")
        key_at = line.index("build")
        state_at = line.index(_label(build, run), key_at + len("build"))
        time_end = line.index(shown, state_at) + len(shown) if shown else None
        seen.append((key_at, state_at, time_end))
    assert len({(key_at, state_at) for key_at, state_at, _ in seen}) == 1
    assert len({end for _, _, end in seen if end is not None}) == 1


def _label(node: NodeRecord, run: RunRecord) -> str:
    running = run.state is State.RUNNING
    return "Pending" if running and node.state is State.NOT_EXECUTED else str(node.state)
