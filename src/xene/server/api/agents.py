"""Agents: the routes agents call (`/api/v1/agent/...`: register, heartbeat), with a
client certificate or an agent token, and the routes people call to see the fleet and
act on it (`/api/v1/agents`: list; drain and forget, admins only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field, StringConstraints

from xene.server import auth
from xene.server.api import deps
from xene.server.api.deps import ADMIN, VIEWER, RuntimeDep
from xene.service import agent_work, agents
from xene.service.agents import AgentView

router = APIRouter(prefix="/api/v1", tags=["agents"], responses=deps.ERRORS)
AgentCaller = Annotated[auth.Principal, Depends(auth.agent_principal)]
Name = Annotated[str, Path(description="the agent's name", max_length=63)]
RunId = Annotated[str, StringConstraints(max_length=100)]
Epoch = Annotated[int, Field(ge=0, le=2**53)]
"""At most 2**53: an integer every JSON reader keeps exact (a larger bound, read as a
float by a client of the schema, let it send numbers just above it)."""
HEARTBEAT_S = 5.0
"""How often an agent heartbeats at most; a third of a shorter lease, so that losing one
beat (or two) costs nothing."""


class RegisterIn(BaseModel):
    name: str = Field(
        "", max_length=63, description="needed only without auth; else it must be the one "
        "in the agent's certificate (or token), or empty"
    )  # fmt: skip
    labels: list[str] = Field(default_factory=list, description="what it offers: gpu, os=linux")
    capacity: int = Field(1, ge=1, le=agents.MAX_CAPACITY, description="runs at once")
    version: str = Field("", max_length=50, description="its Xene version")
    host: str = Field("", max_length=255, description="the machine it runs on")


class RegisteredOut(BaseModel):
    name: str = Field(description="the name this server knows the agent by")
    heartbeat_s: float = Field(description="heartbeat this often")
    lease_s: float = Field(description="an agent silent this long is lost; its runs move")


class HeartbeatIn(BaseModel):
    running: int = Field(0, ge=0, le=agents.MAX_CAPACITY, description="runs it holds now")
    draining: bool = Field(False, description="it takes no new runs (it is stopping)")
    runs: dict[RunId, Epoch] = Field(
        default_factory=dict,
        max_length=agents.MAX_CAPACITY,
        description="the runs it holds, each with its lease's epoch: their leases are renewed",
    )


class HeartbeatOut(BaseModel):
    draining: bool = Field(description="take no new runs: asked by `xene agent drain`")
    lease_s: float = Field(description="the leases renewed run this long from now")
    lost: list[str] = Field(
        default_factory=list, description="runs whose lease it no longer holds: stop them at once"
    )
    cancel: list[str] = Field(
        default_factory=list, description="runs whose cancel was asked: cancel them"
    )


class AgentOut(BaseModel):
    name: str
    labels: list[str]
    capacity: int
    running: int
    state: Literal["online", "draining", "lost"]
    version: str
    host: str
    registered_at: float
    heartbeat_at: float = Field(description="its last heartbeat")
    seen_s_ago: float


class AgentListOut(BaseModel):
    agents: list[AgentOut]


def agent_out(view: AgentView) -> AgentOut:
    a = view.record
    return AgentOut(
        name=a.name, labels=list(a.labels), capacity=a.capacity, running=a.running,
        state=view.state.value, version=a.version, host=a.host,
        registered_at=a.registered_at, heartbeat_at=a.heartbeat_at,
        seen_s_ago=round(view.seen_s_ago, 3),
    )  # fmt: skip


@router.post("/agent/register", response_model=RegisteredOut)
async def register(body: RegisterIn, caller: AgentCaller, runtime: RuntimeDep) -> RegisteredOut:
    """An agent starting: who it is, what it offers. Again after a restart (which clears
    a drain) or when a heartbeat answers 404."""
    offer = agents.Offer(body.name, tuple(body.labels), body.capacity, body.version, body.host)
    now = runtime.clock.now()
    record = await agents.register(runtime.store, caller.name, offer, now)
    lease_s = runtime.config.lease_s
    every = min(HEARTBEAT_S, lease_s / 3)
    return RegisteredOut(name=record.name, heartbeat_s=every, lease_s=lease_s)


@router.post("/agent/heartbeat", response_model=HeartbeatOut)
async def heartbeat(
    body: HeartbeatIn, caller: AgentCaller, runtime: RuntimeDep, name: str = ""
) -> HeartbeatOut:
    """An agent alive; 404 if it is not registered (it registers again). The leases of
    the `runs` it names are renewed: the reply lists those it has lost (stop them) and
    those whose cancel was asked. `name` is read only without auth, where nothing else
    names the agent."""
    who = agents.identity(caller.name, name)
    now, lease_s = runtime.clock.now(), runtime.config.lease_s
    record = await agents.heartbeat(runtime.store, who, body.running, body.draining, now)
    renewal = await agent_work.renew(runtime.store, who, body.runs, now + lease_s)
    return HeartbeatOut(
        draining=record.draining,
        lease_s=lease_s,
        lost=list(renewal.lost),
        cancel=list(renewal.cancel),
    )


@router.get("/agents", response_model=AgentListOut, dependencies=[VIEWER])
async def list_agents(runtime: RuntimeDep) -> AgentListOut:
    """Every agent known, by name, with its state: online, draining or lost (no heartbeat
    within the lease)."""
    views = await agents.listed(runtime.store, runtime.clock.now(), runtime.config.lease_s)
    return AgentListOut(agents=[agent_out(v) for v in views])


@router.post("/agents/{name}/drain", response_model=AgentOut, dependencies=[ADMIN])
async def drain(name: Name, runtime: RuntimeDep) -> AgentOut:
    """Ask the agent to take no new runs; its running ones finish."""
    now, lease_s = runtime.clock.now(), runtime.config.lease_s
    return agent_out(await agents.drain(runtime.store, name, now, lease_s))


@router.delete("/agents/{name}", status_code=204, dependencies=[ADMIN])
async def forget(name: Name, runtime: RuntimeDep) -> None:
    """Forget an agent (one that is gone for good); one still running registers again."""
    await agents.forget(runtime.store, name)
