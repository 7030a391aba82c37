"""Running a state machine's `on_enter` pipeline from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xene.spec.machines import definition, machine

if TYPE_CHECKING:
    from xene.core.records import RunRecord
    from xene.store.base import Store

__all__ = ["definition", "machine", "run_on_enter"]


async def run_on_enter(
    store: Store, data: dict[str, Any], instance_id: str, state: str
) -> RunRecord | None:
    """Run the pipeline the machine names for entering `state`, kept in the store like
    any run; its input names the instance, the machine and the state."""
    name: str | None = (data.get("on_enter") or {}).get(state)
    if name is None:
        return None
    from xene.cli.display import PlainDisplay
    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions
    from xene.secrets.inject import store_source
    from xene.spec.load import load_text
    from xene.store.base import RunSource

    path, text = str(data.get("source", "")), str(data.get("source_text", ""))
    workflow = load_text(text, path)
    source = RunSource(path, text, workflow.format, workflow.name, name)
    display = PlainDisplay()
    payload = {"instance": instance_id, "machine": data["name"], "state": state}
    options = EngineOptions(listeners=(display,), secret_source=store_source(store, "the store"))
    engine = Engine(options, store)
    execution, _ = await engine.start(workflow.pipeline(name), payload, source)
    display.begin(execution.run)
    run = await execution.execute()
    display.end(run)
    return run
