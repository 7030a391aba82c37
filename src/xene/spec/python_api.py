"""The Python API: `@xene.task`, `xene.Pipeline` and `xene.Workflow` build the same IR as YAML.

```python
@xene.task
def extract() -> list[int]: ...

@xene.task(retries=2, timeout="30s", needs=[extract])
def transform(extract): ...

etl = xene.Pipeline("etl", [extract, transform])
workflow = xene.Workflow("etl-demo", [etl])
```

Dependencies are declared with `needs=`, `.needs(...)` or `>>` (`a >> b`, `[a, b] >> c`,
`a >> [b, c]`). Nothing is checked across tasks until `compile()`, so tasks may be wired in
any order. `load_python_file` imports a workflow file and compiles what it defines.
`xene.shell(name, cmd)` makes a task of shell steps (python_shell.py), which may run in a
container: `xene.Pipeline(..., executor=xene.ContainerConfig("golang"))`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from os import PathLike
from typing import Any, Generic, ParamSpec, TypedDict, TypeVar, Unpack, overload

from xene import errors, ir, labels
from xene.core import dag
from xene.spec import durations

P = ParamSpec("P")
R = TypeVar("R")
_Target = TypeVar("_Target", bound="Task[..., Any] | Sequence[Task[..., Any]]")


class TaskOptions(TypedDict, total=False):
    """Keyword options of `@xene.task(...)`.

    `name` defaults to the function's name and `description` to its docstring's first line;
    `needs` lists the tasks (or task names) that must succeed first; `retries` counts extra
    attempts (or `retry` gives a whole `xene.RetryPolicy`); `timeout` is `"30s"`, `"5m"`,
    `"1h30m"` or a number of seconds; `env` adds environment variables.
    """

    name: str
    needs: Task[..., Any] | str | Sequence[Task[..., Any] | str]
    retries: int
    retry: ir.RetryPolicy
    timeout: str | float | None
    description: str
    env: Mapping[str, str]


class Task(Generic[P, R]):
    """A function registered as a Xene task. Calling it calls the function."""

    def __init__(self, fn: Callable[P, R], /, **options: Unpack[TaskOptions]) -> None:
        self.fn = fn
        self.loc = self._location(fn)
        unknown = sorted(set(options) - set(TaskOptions.__annotations__))
        if unknown:
            raise _invalid(self.loc, f"unknown task option(s) {unknown}: {_OPTION_HELP}")
        self.name = options.get("name") or _function_name(fn)
        self.description = options.get("description") or _first_line(fn.__doc__)
        self.retry = _retry_policy(self.loc, options)
        self.timeout_s = _timeout(options.get("timeout"), self.loc)
        self.env = dict(options.get("env", {}))
        self._needs: list[Task[..., Any] | str] = []
        needs = options.get("needs", ())
        self.needs(*([needs] if isinstance(needs, Task | str) else needs))

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def _location(self, fn: Callable[..., Any]) -> ir.Location:
        """Where errors about this task point: the function's first line."""
        return _function_location(fn)

    def __repr__(self) -> str:
        return f"<xene.task {self.name!r}>"

    @property
    def dependencies(self) -> tuple[str, ...]:
        """The names of the tasks this one needs, in declaration order."""
        return tuple(_task_name(dep) for dep in self._needs)

    def needs(self, *tasks: Task[..., Any] | str) -> Task[P, R]:
        """Declare that this task runs after `tasks` succeed; returns this task."""
        for dep in tasks:
            if not isinstance(dep, Task | str):
                raise _invalid(self.loc, f"task {self.name!r} cannot need {dep!r}: {_NOT_A_TASK}")
            if _task_name(dep) not in self.dependencies:
                self._needs.append(dep)
        return self

    def __rshift__(self, other: _Target) -> _Target:
        """`a >> b` and `a >> [b, c]`: the right side needs this task."""
        for target in [other] if isinstance(other, Task) else other:
            target.needs(self)
        return other

    def __rrshift__(self, other: Sequence[Task[..., Any]]) -> Task[P, R]:
        """`[a, b] >> c`: this task needs every task on the left."""
        return self.needs(*other)

    def node(self) -> ir.Node:
        """This task as an IR node: one Python step calling the function."""
        step = ir.Step(
            name=_function_name(self.fn),
            kind="python",
            call=_call_path(self.fn),
            fn=self.fn,
            loc=self.loc,
        )
        return ir.Node(
            id=self.name,
            type=ir.TASK,
            steps=(step,),
            description=self.description,
            env=self.env,
            retry=self.retry,
            timeout_s=self.timeout_s,
            join="all",
            loc=self.loc,
        )


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...
@overload
def task(
    fn: None = None, /, **options: Unpack[TaskOptions]
) -> Callable[[Callable[P, R]], Task[P, R]]: ...
def task(
    fn: Callable[P, R] | None = None, /, **options: Unpack[TaskOptions]
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Make a function a Xene task: `@xene.task` or `@xene.task(retries=2, needs=[a])`.

    The engine calls it with the task's input: no dependency gives the run input, one gives
    that dependency's output, several give `{name: output}`; a function with several
    parameters gets each dependency's output as the keyword argument of the same name.
    """
    if fn is not None:
        return Task(fn, **options)

    def decorate(function: Callable[P, R]) -> Task[P, R]:
        return Task(function, **options)

    return decorate


class PipelineOptions(TypedDict, total=False):
    """Keyword options of `xene.Pipeline(name, tasks, ...)`.

    `triggers` names the workflow's triggers that start it; `env` is every step's;
    `agent_labels` what the agent running it must have; `executor` a
    `xene.ContainerConfig` to run its (shell) tasks in a container.
    """

    description: str
    triggers: Sequence[str]
    env: Mapping[str, str] | None
    agent_labels: Sequence[str]
    executor: ir.ContainerConfig | None


class Pipeline:
    """A named graph of tasks: `Pipeline("etl", [extract, load])` or `.add(...)` later."""

    def __init__(
        self,
        name: str,
        tasks: Iterable[Task[..., Any]] | Task[..., Any] = (),
        **options: Unpack[PipelineOptions],
    ) -> None:
        self.name = name
        self.loc = _caller_location()
        unknown = sorted(set(options) - set(PipelineOptions.__annotations__))
        if unknown:
            known = ", ".join(PipelineOptions.__annotations__)
            message = f"unknown pipeline option(s) {unknown}: the options are {known}"
            raise _invalid(self.loc, message)
        self.description = options.get("description", "")
        self.triggers = tuple(options.get("triggers", ()))
        self.env = dict(options.get("env") or {})
        self.agent_labels = tuple(options.get("agent_labels", ()))
        """Labels the agent that runs this pipeline must have: `("gpu",)`."""
        self.executor = options.get("executor")
        """`xene.ContainerConfig(image, ...)`: run its steps in a container (its tasks are
        then shell tasks, `xene.shell`); None: on this machine."""
        self._tasks: list[Task[..., Any]] = []
        self.add(*([tasks] if isinstance(tasks, Task) else tasks))

    def __repr__(self) -> str:
        return f"<xene.Pipeline {self.name!r} tasks={[t.name for t in self._tasks]}>"

    @property
    def tasks(self) -> tuple[Task[..., Any], ...]:
        return tuple(self._tasks)

    def add(self, *tasks: Task[..., Any]) -> Pipeline:
        """Add tasks (adding the same task twice is harmless); returns this pipeline."""
        for item in tasks:
            if not isinstance(item, Task):
                message = f"pipeline {self.name!r} cannot hold {item!r}: {_NOT_A_TASK}"
                raise _invalid(self.loc, message)
            if all(item is not known for known in self._tasks):
                self._tasks.append(item)
        return self

    def problems(self) -> list[errors.Problem]:
        """Everything that keeps this pipeline from compiling; empty when it is valid."""
        if not self._tasks:
            hint = f"pass them as Pipeline({self.name!r}, [task, ...]) or call .add(task)"
            return [errors.Problem(self.loc, f"pipeline {self.name!r} has no tasks: {hint}")]
        problems = self._duplicates() + self._unknown_dependencies() + self._container()[1]
        trouble = labels.problem(self.agent_labels)
        if trouble:
            problems.append(errors.Problem(self.loc, f"pipeline {self.name!r}: {trouble}"))
        return problems or self._cycle()

    def compile(self) -> ir.Pipeline:
        """The IR of this pipeline; raises `errors.InvalidDefinition` when it is invalid."""
        problems = self.problems()
        if problems:
            raise errors.InvalidDefinition(problems)
        executor, _ = self._container()
        return ir.Pipeline(
            name=self.name,
            nodes=tuple(_with_image(t.node(), executor) for t in self._tasks),
            edges=self._edges(),
            description=self.description,
            triggers=self.triggers,
            executor=executor,
            env=self.env,
            agent_labels=labels.canonical(self.agent_labels),
            loc=self.loc,
        )

    def _container(self) -> tuple[ir.Executor, list[errors.Problem]]:
        """The executor (its image normalised) and what is wrong with it or its tasks."""
        if self.executor is None and not any(_image(t) for t in self._tasks):
            return ir.Executor(), []
        from xene.spec import python_containers

        return python_containers.check(self.name, self.executor, self._tasks, self.loc)

    def _edges(self) -> tuple[ir.Edge, ...]:
        return tuple(
            ir.Edge(source=dep, target=t.name, loc=t.loc)
            for t in self._tasks
            for dep in t.dependencies
        )

    def _duplicates(self) -> list[errors.Problem]:
        first: dict[str, Task[..., Any]] = {}
        problems = []
        for t in self._tasks:
            if t.name in first:
                other = first[t.name].loc
                message = (
                    f"pipeline {self.name!r} has two tasks named {t.name!r} (the other is at "
                    f"{other}): rename one with @xene.task(name=...)"
                )
                problems.append(errors.Problem(t.loc, message))
            first.setdefault(t.name, t)
        return problems

    def _unknown_dependencies(self) -> list[errors.Problem]:
        names = {t.name for t in self._tasks}
        return [
            errors.Problem(
                t.loc,
                f"task {t.name!r} needs {dep!r}, which is not in pipeline {self.name!r}: "
                f"add {dep} to the pipeline's tasks",
            )
            for t in self._tasks
            for dep in t.dependencies
            if dep not in names
        ]

    def _cycle(self) -> list[errors.Problem]:
        names = [t.name for t in self._tasks]
        cycle = dag.find_cycle(names, self._edges())
        if cycle is None:
            return []
        where = self._tasks[names.index(cycle[0])].loc
        message = (
            f"tasks of pipeline {self.name!r} depend on each other in a cycle: "
            f"{' -> '.join(cycle)}; remove one of these dependencies"
        )
        return [errors.Problem(where, message)]


class Workflow:
    """What `xene run` and `xene apply` take: named pipelines and the triggers that start them.

    `triggers` are `xene.Trigger` records; a pipeline names the ones that start it with
    `Pipeline(..., triggers=[...])`. Without triggers, pipelines are started by hand.
    """

    def __init__(
        self,
        name: str,
        pipelines: Iterable[Pipeline] | Pipeline = (),
        *,
        description: str = "",
        triggers: Sequence[ir.Trigger] = (),
    ) -> None:
        self.name = name
        self.description = description
        self.triggers = tuple(triggers)
        self.loc = _caller_location()
        self._pipelines: list[Pipeline] = []
        self.add(*([pipelines] if isinstance(pipelines, Pipeline) else pipelines))

    def __repr__(self) -> str:
        return f"<xene.Workflow {self.name!r} pipelines={[p.name for p in self._pipelines]}>"

    @property
    def pipelines(self) -> tuple[Pipeline, ...]:
        return tuple(self._pipelines)

    def add(self, *pipelines: Pipeline) -> Workflow:
        """Add pipelines (adding the same one twice is harmless); returns this workflow."""
        for item in pipelines:
            if not isinstance(item, Pipeline):
                hint = "build one with xene.Pipeline(name, [tasks])"
                raise _invalid(self.loc, f"workflow {self.name!r} cannot hold {item!r}: {hint}")
            if all(item is not known for known in self._pipelines):
                self._pipelines.append(item)
        return self

    def problems(self) -> list[errors.Problem]:
        """Everything that keeps this workflow from compiling; empty when it is valid."""
        if not self._pipelines:
            hint = f"pass them as Workflow({self.name!r}, [pipeline, ...]) or call .add()"
            return [errors.Problem(self.loc, f"workflow {self.name!r} has no pipelines: {hint}")]
        problems: list[errors.Problem] = []
        seen: set[str] = set()
        triggers = {t.name for t in self.triggers}
        for p in self._pipelines:
            if p.name in seen:
                message = f"workflow {self.name!r} has two pipelines named {p.name!r}"
                problems.append(errors.Problem(p.loc, message + ": rename one"))
            seen.add(p.name)
            problems += [_unknown_trigger(p, name) for name in p.triggers if name not in triggers]
            problems += p.problems()
        return problems

    def compile(self) -> ir.Workflow:
        """The IR of this workflow; raises `errors.InvalidDefinition` when it is invalid."""
        problems = self.problems()
        if problems:
            raise errors.InvalidDefinition(problems)
        return ir.Workflow(
            name=self.name,
            pipelines=tuple(p.compile() for p in self._pipelines),
            triggers=self.triggers,
            description=self.description,
            format="python",
        )


def _image(task: Task[..., Any]) -> str | None:
    image: str | None = getattr(task, "image", None)  # a shell task's (python_shell.py)
    return image


def _with_image(node: ir.Node, executor: ir.Executor) -> ir.Node:
    """`node` with its image normalised, or None where it is the pipeline's."""
    if node.image is None or executor.container is None:
        return node
    from xene.executors.images import normalize_image

    image = normalize_image(node.image)
    return replace(node, image=None if image == executor.container.image else image)


_NOT_A_TASK = "decorate the function with @xene.task first (or make it xene.shell(...))"
_OPTION_HELP = f"the options are {', '.join(TaskOptions.__annotations__)}"


def _timeout(value: str | float | None, loc: ir.Location) -> float | None:
    try:
        return None if value is None else durations.parse_duration(value)
    except ValueError as exc:
        raise _invalid(loc, f"timeout: {exc}") from None


def _retry_policy(loc: ir.Location, options: TaskOptions) -> ir.RetryPolicy:
    if "retry" in options:
        if "retries" in options or not isinstance(options["retry"], ir.RetryPolicy):
            raise _invalid(loc, "pass either retries=<int> or retry=xene.RetryPolicy(...)")
        return options["retry"]
    retries = options.get("retries", 0)
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise _invalid(loc, f"retries={retries!r}: give the number of extra attempts, e.g. 2")
    return replace(ir.NO_RETRY, max_attempts=retries + 1)


def _task_name(dep: Task[..., Any] | str) -> str:
    return dep if isinstance(dep, str) else dep.name


def _unknown_trigger(pipeline: Pipeline, name: str) -> errors.Problem:
    message = f"pipeline {pipeline.name!r} names trigger {name!r}, which the workflow lacks"
    return errors.Problem(pipeline.loc, message + ": add it to Workflow(..., triggers=[...])")


def _invalid(loc: ir.Location, message: str) -> errors.InvalidDefinition:
    return errors.InvalidDefinition([errors.Problem(loc, message)])


def _function_name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__name__", type(fn).__name__))


def _call_path(fn: Callable[..., Any]) -> str:
    qualname = getattr(fn, "__qualname__", _function_name(fn))
    return f"{getattr(fn, '__module__', None) or '__main__'}:{qualname}"


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""


def _function_location(fn: Callable[..., Any]) -> ir.Location:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    if code is None:
        return ir.Location()
    return ir.Location(file=code.co_filename, line=code.co_firstlineno)


def _caller_location() -> ir.Location:
    """Where the user's code called the `__init__` that calls this."""
    frame = inspect.currentframe()
    for _ in range(2):
        frame = frame.f_back if frame else None
    if frame is None:
        return ir.Location()
    return ir.Location(file=frame.f_code.co_filename, line=frame.f_lineno)


def load_python_file(path: str | PathLike[str]) -> ir.Workflow:
    """Import a Python workflow file and compile what it defines (see `python_loader`)."""
    from xene.spec.python_loader import load_python_file as load

    return load(path)
