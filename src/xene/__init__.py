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

from xene.spec.ir import RetryPolicy, Trigger
from xene.spec.python_api import Pipeline, Task, Workflow, load_python_file, task

# --- Running workflows -------------------------------------------------------------------
# `run` and `Engine` are re-exported here by the engine (xene.engine), imported so that
# `import xene` does not pull in the store or any I/O library. Add them to `__all__` too.

__version__ = "0.1.0"

__all__ = [
    "Pipeline",
    "RetryPolicy",
    "Task",
    "Trigger",
    "Workflow",
    "load_python_file",
    "task",
]
