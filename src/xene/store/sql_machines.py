"""State-machine transactions shared by the SQL stores: definitions, instances, moves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xene.store import rows
from xene.store.base import MachineInstance
from xene.store.txn import Row, Stmt, Txn

Queries = Mapping[str, str]


def define_machine(q: Queries, name: str, definition: dict[str, Any], at: float) -> Txn[bool]:
    done = yield Stmt(q["define_machine"], (name, rows.dumps(definition), at))
    return done.rowcount == 1


def get_machine(q: Queries, name: str) -> Txn[dict[str, Any] | None]:
    found = yield Stmt(q["get_machine"], (name,))
    return rows.loads(found.scalar) if found.rows else None


def list_machines(q: Queries) -> Txn[list[str]]:
    found = yield Stmt(q["list_machines"])
    return [str(row[0]) for row in found.rows]


def create_instance(q: Queries, i: MachineInstance) -> Txn[None]:
    yield Stmt(q["insert_instance"], (i.id, i.machine, i.state, i.created_at, i.updated_at))
    if i.history:
        params = [(i.id, seq, *move) for seq, move in enumerate(i.history, start=1)]
        yield Stmt(q["insert_transition"], params, many=True)


def move_instance(
    q: Queries, instance_id: str, event: str, from_state: str, to_state: str, at: float
) -> Txn[bool]:
    """Compare-and-set on the state, with the next history row."""
    moved = yield Stmt(q["move_instance"], (to_state, at, instance_id, from_state))
    if moved.rowcount != 1:
        return False
    last: int = (yield Stmt(q["last_transition_seq"], (instance_id,))).scalar
    row = (instance_id, last + 1, event, from_state, to_state, at)
    yield Stmt(q["insert_transition"], row)
    return True


def get_instance(q: Queries, instance_id: str) -> Txn[MachineInstance | None]:
    found = yield Stmt(q["get_instance"], (instance_id,))
    if not found.rows:
        return None
    history = yield Stmt(q["instance_history"], (instance_id,))
    moves = tuple((str(e), str(a), str(b), float(at)) for e, a, b, at in history.rows)
    return _instance(found.rows[0], moves)


def list_instances(q: Queries, machine: str) -> Txn[list[MachineInstance]]:
    """Oldest first, without their history (`get_instance` has it)."""
    found = yield Stmt(q["list_instances"], (machine,))
    return [_instance(row, ()) for row in found.rows]


def _instance(row: Row, history: tuple[tuple[str, str, str, float], ...]) -> MachineInstance:
    id_, machine, state, created_at, updated_at = row
    return MachineInstance(id_, machine, state, created_at, updated_at, history)
