"""`RemoteStore`: the store roles the history commands use (`runs`, `show`, `logs`,
`approvals`, `approve`, `fsm list|ps|show`), answered by a server.

It has the roles its bases name (`RunReader`, `ApprovalStore`, `MachineReader`: see
`xene.store.roles`) and no other: what only a local store can do (create or commit runs,
delete them, define machines or move instances by compare-and-set) is not here, and a
command that needs it says so before it starts (`xene.cli.stores.local`). Against a
server, runs are queued by `xene trigger` and state machines move by
`POST /instances/{id}/events/{e}`, which `xene fsm` calls directly (`xene.cli.fsm_remote`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, final

from xene.client import records
from xene.client.api import ApiClient, api_path
from xene.client.errors import ApiError
from xene.client.settings import Target
from xene.core.records import NodeRecord
from xene.core.states import Decision
from xene.store.base import (
    BY_HAND,
    BY_HAND_PARAM,
    ApprovalRecord,
    IdKind,
    LogChunk,
    MachineInstance,
    RunFilter,
    RunSummary,
    StoredRun,
)
from xene.store.groups import NodeGroup
from xene.store.roles import ApprovalStore, MachineReader, RunReader


@final  # it has these roles and no other: `isinstance(store, RunStore)` tells it apart
class RemoteStore(RunReader, ApprovalStore, MachineReader):
    """A server's runs, approvals and state machines, read (and decided) over its API."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._machines: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, str] = {}
        """Why each queued run the server listed or showed last is not taken."""

    @classmethod
    def connect(cls, target: Target) -> RemoteStore:
        return cls(ApiClient(target.url, target.token, verify=target.verify))

    async def close(self) -> None:
        await self.api.aclose()

    # -- runs ---------------------------------------------------------------------------
    async def get_run(self, run_id: str) -> StoredRun | None:
        data = await _or_none(self.api.get(api_path("runs", run_id)))
        if data is None:
            return None
        self._learn(run_id, data.get("waiting_for"))
        # The tree has durations only: the run's own times come with its summary.
        page = await self.list_runs(RunFilter(limit=1, before=run_id + "~"))
        summary = page[0] if page and page[0].id == run_id else None
        return records.stored_run(data, summary)

    async def get_run_grouped(self, run_id: str) -> tuple[StoredRun, list[NodeGroup]] | None:
        asked = self.api.get(api_path("runs", run_id), params={"group": "true"})
        data = await _or_none(asked)
        if data is None:
            return None
        page = await self.list_runs(RunFilter(limit=1, before=run_id + "~"))
        summary = page[0] if page and page[0].id == run_id else None
        made = [NodeGroup(**group) for group in data.get("groups") or []]
        return records.stored_run(data, summary), made

    async def node_records(
        self, run_id: str, node: str, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[NodeRecord]]:
        params = {"offset": offset, "limit": limit}
        data = await _or_none(self.api.get(api_path("runs", run_id, "nodes", node), params=params))
        if data is None:
            return 0, []
        return int(data["total"]), [records.node_record(n) for n in data["records"]]

    async def list_runs(self, flt: RunFilter) -> list[RunSummary]:
        params = {
            "workflow": flt.workflow,
            "pipeline": flt.pipeline,
            "state": flt.state,
            "limit": min(flt.limit, 500),
            "before": flt.before,
            "trigger": BY_HAND_PARAM if flt.trigger == BY_HAND else flt.trigger,
            "created_after": flt.created_after,
            "created_before": flt.created_before,
            "id": flt.id_prefix,
        }
        page = await self.api.get(api_path("runs"), params)
        for run in page["runs"]:
            self._learn(run["id"], run.get("waiting_for"))
        return [records.run_summary(r) for r in page["runs"]]

    def waiting_for(self, run_id: str) -> str | None:
        """Why the queued run is not taken, as the server said when it last listed or
        showed it (None: some agent can take it, or it is not queued)."""
        return self._waiting.get(run_id)

    def _learn(self, run_id: str, why: str | None) -> None:
        if why:
            self._waiting[run_id] = why
        else:
            self._waiting.pop(run_id, None)

    async def read_logs(
        self,
        run_id: str,
        *,
        node: str | None = None,
        step: str | None = None,
        after: int = 0,
        limit: int = 1000,
    ) -> list[LogChunk]:
        params = {"node": node, "step": step, "after": after, "limit": min(limit, 5000)}
        page = await self.api.get(api_path("runs", run_id, "logs"), params)
        return [records.log_chunk(run_id, c) for c in page["chunks"]]

    async def find_ids(self, kind: IdKind, prefix: str, limit: int = 3) -> list[str]:
        """Runs: the server's newest runs below `prefix~` as given, lower- and uppercased
        (ids sort as text); hooks: among every approval; instances: the server resolves
        it."""
        wanted = prefix.lower()
        if kind == "instance":
            found = await self.get_instance(prefix)
            return [] if found is None else [found.id]
        if kind == "hook":
            ids = [s.hook_id for s in await self.list_approvals(pending=False)]
        else:
            ids = []
            for start in dict.fromkeys((prefix, prefix.lower(), prefix.upper())):
                page = await self.list_runs(RunFilter(limit=limit, before=start + "~"))
                ids += [r.id for r in page]
        return sorted({i for i in ids if i.lower().startswith(wanted)})[:limit]

    # -- approvals ----------------------------------------------------------------------
    async def list_approvals(self, *, pending: bool = True) -> list[ApprovalRecord]:
        found = await self.api.get(api_path("approvals"), {"all": not pending})
        return [records.approval(s) for s in found["approvals"]]

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None:
        found = await self.list_approvals(pending=False)
        return next((s for s in found if s.hook_id == hook_id), None)

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        """Post the decision: the server records it and continues the run. None if the
        hook is unknown or was decided already (404, 409)."""
        body = {"data": data, "reason": reason}
        try:
            decided = await self.api.post(api_path("approvals", hook_id, decision), json_body=body)
        except ApiError as exc:
            if exc.status in (404, 409):
                return None
            raise
        return records.approval(decided)

    # -- state machines -----------------------------------------------------------------
    async def get_machine(self, name: str) -> dict[str, Any] | None:
        if name not in self._machines:
            found = await _or_none(self.api.get(api_path("machines", name)))
            if found is None:
                return None
            self._machines[name] = found
        return self._machines[name]

    async def list_machines(self) -> list[str]:
        found = await self.api.get(api_path("machines"))
        self._machines = {m["name"]: m for m in found["machines"]}
        return list(self._machines)

    async def get_instance(self, instance_id: str) -> MachineInstance | None:
        found = await _or_none(self.api.get(api_path("instances", instance_id)))
        return None if found is None else records.instance(found)

    async def list_instances(self, machine: str) -> list[MachineInstance]:
        found = await _or_none(self.api.get(api_path("machines", machine, "instances")))
        return [] if found is None else [records.instance(i) for i in found["instances"]]


async def _or_none(answer: Awaitable[Any]) -> Any:
    """The awaited answer; None for a 404."""
    try:
        return await answer
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
