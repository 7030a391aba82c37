"""Xene: workflows as graphs of tasks, declared in YAML, JSON or Python.

```python
import xene

@xene.task
def extract() -> list[int]:
    return [1, 2, 3]

@xene.task(needs=[extract], retries=2, timeout="30s")
def double(extract: list[int]) -> list[int]:
    return [x * 2 for x in extract]

workflow = xene.Workflow("demo", [xene.Pipeline("numbers", [extract, double])])
```

`import xene` stays light: it loads the IR and the Python API only (no yaml, rich or httpx).
"""

from __future__ import annotations

from typing import Any

from xene.spec.ir import RetryPolicy, Trigger
from xene.spec.python_api import Pipeline, Task, Workflow, load_python_file, task

# --- Running workflows -------------------------------------------------------------------
# The engine is imported on first use, so that `import xene` stays light.


def run(pipeline: Any, input: Any = None, **options: Any) -> Any:
    """Run a pipeline to its end in this process and return its run record.

    `pipeline` is a `xene.Pipeline` (or an IR pipeline); `options` are `EngineOptions`
    fields such as `env={"K": "V"}`. From async code, use `await xene.Engine().run(...)`.
    """
    import asyncio

    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions

    return asyncio.run(Engine(EngineOptions(**options)).run(pipeline, input))


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from xene.engine.engine import Engine

        return Engine
    if name == "EngineOptions":
        from xene.engine.options import EngineOptions

        return EngineOptions
    raise AttributeError(f"module 'xene' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Engine",
    "EngineOptions",
    "Pipeline",
    "RetryPolicy",
    "Task",
    "Trigger",
    "Workflow",
    "load_python_file",
    "run",
    "task",
]
