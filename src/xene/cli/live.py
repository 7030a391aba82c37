"""The live terminal view of `xene run`: each node with its state, a spinner while it
runs, its duration (the time so far while it runs); step output streams above the
table, prefixed by task and step. Columns have fixed widths, so that nothing moves
sideways as states and durations change."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from xene.cli.display import GLYPH, Display, details, run_line
from xene.core.records import NodeRecord, RunRecord, seconds_text
from xene.core.states import State

STYLE = {
    State.SUCCESS: "green",
    State.ERROR: "bold red",
    State.ERROR_CONFIGURING: "bold red",
    State.RUNNING: "cyan",
    State.SUSPENDED: "yellow",
    State.CANCELLED: "magenta",
    State.SKIPPED: "dim",
    State.NOT_EXECUTED: "dim",
    State.WAITING: "dim",
}
MAX_ROWS = 40
STATE_WIDTH = max(len(str(state)) for state in State)
"""Wide enough for every state's name (and `Pending`): the column never widens."""
TIME_WIDTH = 7
"""`seconds_text` up to 999m59s."""


class LiveDisplay(Display):
    def __init__(
        self, console: Console | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.console = console or Console()
        self.clock = clock
        """The time running nodes' durations count to (the engine's clock is real time)."""
        self.run: RunRecord | None = None
        self.live: Live | None = None
        self.spinner = Spinner("dots", style="cyan")
        self.last_line: dict[str, str] = {}

    def begin(self, run: RunRecord) -> None:
        self.run = run
        self.console.print(f"[bold]run {run.id}[/]  {run.workflow}/{run.pipeline}")
        self.live = Live(_Table(self), console=self.console, refresh_per_second=10, transient=False)
        self.live.start()

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        where = f"{node.key}/{step}" if step else node.key
        self.last_line[node.key] = f"{step} │ {line}" if step else line
        text = Text(f"  {where} │ ", style="dim")
        text.append(line)
        self.console.print(text)

    def end(self, run: RunRecord) -> None:
        if self.live is not None:
            self.live.update(_Table(self))
            self.live.stop()
            self.live = None
        style = STYLE.get(run.state, "")
        self.console.print(Text(run_line(run), style=style))

    def summary(self, runs: Sequence[RunRecord]) -> None:
        if len(runs) > 1:
            ok = sum(r.succeeded for r in runs)
            self.console.print(f"{ok} of {len(runs)} pipelines succeeded")

    def pause(self) -> None:
        if self.live is not None:
            self.live.stop()

    def resume(self) -> None:
        if self.live is not None:
            self.live.start()


class _Table:
    """Rendered afresh at each refresh, from the live records."""

    def __init__(self, display: LiveDisplay) -> None:
        self.display = display

    def __rich__(self) -> RenderableType:
        run = self.display.run
        top = [] if run is None else [n for n in run.nodes.values() if not n.scope]
        table = Table.grid(padding=(0, 2))
        table.add_column(width=2, no_wrap=True)
        table.add_column(width=max((len(n.key) for n in top), default=1), no_wrap=True)
        table.add_column(width=STATE_WIDTH, no_wrap=True)
        table.add_column(width=TIME_WIDTH, justify="right", no_wrap=True)
        table.add_column(no_wrap=True, overflow="ellipsis")
        now = self.display.clock()
        for node in top[:MAX_ROWS]:
            table.add_row(*self._row(node, now))
            last = self.display.last_line.get(node.key)
            if last and node.state is State.RUNNING:
                table.add_row("", "", "", "", Text(f"└ {last}"[:120], style="dim"))
        if len(top) > MAX_ROWS:
            more = Text(f"… and {len(top) - MAX_ROWS} more", style="dim")
            table.add_row("", "", "", "", more)
        return Group(table)

    def _label(self, node: NodeRecord) -> str:
        run = self.display.run
        running = run is not None and run.state is State.RUNNING
        return "Pending" if running and node.state is State.NOT_EXECUTED else str(node.state)

    def _row(self, node: NodeRecord, now: float) -> tuple[RenderableType, ...]:
        glyph: RenderableType = (
            self.display.spinner if node.state is State.RUNNING else Text(GLYPH[node.state])
        )
        style = STYLE.get(node.state, "")
        return (
            glyph,
            Text(node.key, style="bold" if node.state is State.RUNNING else ""),
            Text(self._label(node), style=style),
            Text(took(node, now), style="dim"),
            Text(details(node), style="red" if node.state is State.ERROR else "dim"),
        )


def took(node: NodeRecord, now: float) -> str:
    """How long the node ran, or has been running until `now`; empty before it starts."""
    if node.started_at is None:
        return ""
    end = now if node.ended_at is None else node.ended_at
    return seconds_text(end - node.started_at)
