"""Running a state machine's `on_enter` pipeline from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xene.spec.machines import definition, machine

if TYPE_CHECKING:
    from xene.core.records import RunRecord
    from xene.service.machines import OnEnter
    from xene.store.base import Store

__all__ = ["definition", "machine", "run_on_enter"]


async def run_on_enter(store: Store, on_enter: OnEnter, scope: str) -> RunRecord:
    """Run the pipeline a state machine names for the state an instance entered, now, in
    this process, kept in the store like any run (its containers in the store's `scope`)."""
    from xene.cli.display import PlainDisplay
    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions
    from xene.secrets.inject import store_source

    display = PlainDisplay()
    secrets = store_source(store, "the store")
    options = EngineOptions(listeners=(display,), secret_source=secrets, container_scope=scope)
    engine = Engine(options, store)
    execution, _ = await engine.start(on_enter.pipeline, on_enter.input, on_enter.source)
    display.begin(execution.run)
    run = await execution.execute()
    display.end(run)
    return run
