"""The intermediate representation every definition format compiles into.

The engine, the CLI and (later) the store and the API see only these frozen records.
Loaders (`xene.spec.manifest`, `xene.spec.flow`, `xene.spec.fsm`, `xene.spec.python_api`)
build them; nothing else does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal

from xene.frozen import frozen

JoinMode = Literal["all", "any"]
"""How a node waits on its incoming edges.

`all`: every incoming edge must fire (a Xene task runs when all its dependencies succeeded).
`any`: at least one incoming edge must fire once every predecessor has ended (flow nodes).
"""

StepKind = Literal["shell", "python"]

TASK = "xene::task"
"""Node type of a Xene manifest task: an ordered list of steps."""


@frozen
class Location:
    """Where a definition came from, for error messages: `file:line: path.to.key`."""

    file: str = "<memory>"
    line: int = 0
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}" if self.path else where


@frozen
class RetryPolicy:
    """Exponential backoff with jitter; `max_attempts=1` means no retry."""

    max_attempts: int = 1
    initial_delay_ms: int = 1000
    max_delay_ms: int = 60_000
    backoff_multiplier: float = 2.0
    jitter: bool = True


NO_RETRY = RetryPolicy()


@frozen
class SecretRef:
    """A secret a definition names (by name only: values live in the store, encrypted):
    in a task's `secrets: [NAME]`, as `${secrets.NAME}` in a node's config, or as a
    webhook trigger's `secret:`/`token:`."""

    name: str
    loc: Location = Location()


@frozen
class Step:
    """The atomic unit of a task: a shell command or a Python call."""

    name: str
    kind: StepKind = "shell"
    cmd: str = ""
    """Shell command, run under `/bin/sh -c` (kind `shell`)."""
    call: str = ""
    """`module:function` (kind `python`)."""
    args: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    """None means the engine default (30 minutes)."""
    fn: Any = None
    """The callable itself (kind `python`), when the step was built in-process by the
    Python API; otherwise `call` is imported when the step starts."""
    loc: Location = Location()


DOCKER_LABEL = "docker"
"""The label of an agent that reaches a Docker engine: container pipelines need it."""
PullPolicy = Literal["if-not-present", "always", "never"]


@frozen
class ContainerConfig:
    """`containerConfig:` of a container executor: the container each run gets."""

    image: str
    """Normalised as Docker does: `golang` is `docker.io/library/golang:latest`."""
    pull: PullPolicy = "if-not-present"
    cpus: float | None = None
    memory: str | None = None
    """As written and checked (`256m`, `1g`, `512k`, bytes); None: no limit."""
    pids: int | None = None
    """The most processes the container may hold; None: no limit."""
    network: str = "bridge"
    """`none`, `bridge`, `host` or a network's name."""
    user: str | None = None
    """`uid[:gid]` or a name the image knows; None: the image's."""
    volumes: tuple[str, ...] = ()
    """`SOURCE:TARGET[:ro|:rw]`, as `docker run -v` takes them."""
    workdir: str = "/workspace"
    """Where the run's workspace volume is mounted: steps start there, and a relative
    `workingDir` is taken from there."""


@frozen
class Executor:
    """Where a pipeline's steps run: `local` subprocesses or a `container` image."""

    type: Literal["local", "container"] = "local"
    container: ContainerConfig | None = None
    """Set for `container`, None for `local`."""
    loc: Location = field(default=Location(), compare=False)

    @property
    def image(self) -> str:
        return self.container.image if self.container is not None else ""


@frozen
class CircuitBreaker:
    """Pause a served pipeline once too many of its recent runs failed.

    It trips when the runs that ended `Error` among the pipeline's last `window` runs
    reach `threshold` (a fraction, 0 < threshold <= 1) of `window`. See `xene.core.breaker`.
    """

    threshold: float
    window: int = 10


@frozen
class Node:
    """One vertex of a pipeline: a Xene task (`xene::task`), a `std::` node or a callable."""

    id: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    description: str = ""
    working_dir: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    retry: RetryPolicy = NO_RETRY
    timeout_s: float | None = None
    enabled: bool = True
    join: JoinMode = "any"
    secrets: tuple[SecretRef, ...] = ()
    """The secrets the node needs: a task's `secrets:` (environment variables of its
    shell steps) and the `${secrets.NAME}` in its config."""
    image: str | None = None
    """A task's own image (normalised), in a pipeline with a container executor: its
    steps run in a container of it that shares the run's workspace. None: the
    pipeline's image."""
    loc: Location = Location()


@frozen
class Edge:
    """`source.port -> target`. `loop_back` closes a loop; `condition` gates firing."""

    source: str
    target: str
    port: str = "out"
    condition: str | None = None
    loop_back: bool = False
    loc: Location = Location()


@frozen
class Trigger:
    """What starts a pipeline run: `manual`, `webhook`, `cron`, `filesystem`, `queue`, ..."""

    name: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    secrets: tuple[SecretRef, ...] = ()
    """Secrets its params name (`secret: ${secrets.NAME}`), read when it is delivered."""
    loc: Location = Location()


@frozen
class Pipeline:
    """A graph of nodes joined by edges; one run is one execution of it."""

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    description: str = ""
    triggers: tuple[str, ...] = ()
    """Names of the workflow triggers that start this pipeline."""
    entry_edges: tuple[Edge, ...] = ()
    """Edges from a trigger to a node (flow format): the trigger's event is that node's input."""
    executor: Executor = Executor()
    agent_labels: tuple[str, ...] = ()
    """Labels the agent that runs it must have (each of them); sorted, each once."""
    env: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    """`${pipeline.config.key}` values."""
    max_concurrency: int = 8
    timeout_s: float | None = None
    """None means the engine default (100 minutes)."""
    circuit_breaker: CircuitBreaker | None = None
    """None: the pipeline never pauses itself."""
    loc: Location = Location()

    _index: Mapping[str, Node] = field(init=False, repr=False, compare=False)
    secret_names: frozenset[str] = field(init=False, repr=False, compare=False)
    """Every secret a node of the pipeline needs: what a run of it resolves at its start."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {node.id: node for node in self.nodes})
        names = frozenset(ref.name for node in self.nodes for ref in node.secrets)
        object.__setattr__(self, "secret_names", names)

    def node(self, node_id: str) -> Node:
        """The node with that id (KeyError if none)."""
        return self._index[node_id]

    @property
    def labels_needed(self) -> tuple[str, ...]:
        """What the agent that runs it must have: its `agent_labels`, and `docker` for a
        container pipeline (an agent offers it when it reaches a Docker engine)."""
        if self.executor.type != "container" or DOCKER_LABEL in self.agent_labels:
            return self.agent_labels
        return tuple(sorted((*self.agent_labels, DOCKER_LABEL)))


@frozen
class FsmEvent:
    """An event of a state machine: from any of `sources` it moves to `destination`."""

    name: str
    destination: str
    sources: tuple[str, ...]


@frozen
class StateMachine:
    """An OpenState definition: instances start in `initial_state` and move on events."""

    name: str
    initial_state: str
    events: tuple[FsmEvent, ...]
    attributes: Mapping[str, Any] = field(default_factory=dict)
    on_enter: Mapping[str, str] = field(default_factory=dict)
    """State name -> pipeline name to run when an instance enters that state."""
    loc: Location = Location()

    @property
    def states(self) -> tuple[str, ...]:
        seen = dict.fromkeys([self.initial_state])
        for event in self.events:
            seen.update(dict.fromkeys(event.sources))
            seen[event.destination] = None
        return tuple(seen)

    def available_events(self, state: str) -> tuple[str, ...]:
        return tuple(e.name for e in self.events if state in e.sources)


@frozen
class Workflow:
    """The top-level object a user applies: pipelines, the triggers that start them,
    and state machines."""

    name: str
    pipelines: tuple[Pipeline, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    state_machines: tuple[StateMachine, ...] = ()
    description: str = ""
    format: Literal["manifest", "flow", "fsm", "python"] = "manifest"
    source: str = "<memory>"

    def pipeline(self, name: str) -> Pipeline:
        for pipeline in self.pipelines:
            if pipeline.name == name:
                return pipeline
        raise KeyError(name)
