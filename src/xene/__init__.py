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

TYPE_CHECKING = False  # not `typing`'s: importing typing costs `xene --version` 3 ms
if TYPE_CHECKING:
    from typing import Any

    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions
    from xene.ir import ContainerConfig, RetryPolicy, Trigger
    from xene.spec.python_api import Pipeline, Task, Workflow, load_python_file, task
    from xene.spec.python_shell import ShellTask, shell

# Everything is imported on first use: `xene.cli` and `xene.store` are inside this package,
# and `xene run` should not pay for the Python API it may not use.
_LAZY = {
    "Engine": "xene.engine.engine",
    "EngineOptions": "xene.engine.options",
    "ContainerConfig": "xene.ir",
    "RetryPolicy": "xene.ir",
    "Trigger": "xene.ir",
    "Pipeline": "xene.spec.python_api",
    "Task": "xene.spec.python_api",
    "Workflow": "xene.spec.python_api",
    "load_python_file": "xene.spec.python_api",
    "task": "xene.spec.python_api",
    "ShellTask": "xene.spec.python_shell",
    "shell": "xene.spec.python_shell",
}

# --- Running workflows -------------------------------------------------------------------
# The engine is imported on first use, so that `import xene` stays light.


def run(pipeline: Any, input: Any = None, **options: Any) -> Any:
    """Run a pipeline to its end in this process and return its run record.

    `pipeline` is a `xene.Pipeline` (or an IR pipeline); `options` are `EngineOptions`
    fields such as `env={"K": "V"}`. From async code, use `await xene.Engine().run(...)`.
    """
    import asyncio

    from xene.engine.engine import Engine as _Engine
    from xene.engine.options import EngineOptions as _Options

    return asyncio.run(_Engine(_Options(**options)).run(pipeline, input))


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xene' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "ContainerConfig",
    "Engine",
    "EngineOptions",
    "Pipeline",
    "RetryPolicy",
    "ShellTask",
    "Task",
    "Trigger",
    "Workflow",
    "load_python_file",
    "run",
    "shell",
    "task",
]
