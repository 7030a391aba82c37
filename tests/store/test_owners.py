"""`owner_alive`: only a local owner whose process has ended is dead."""

from __future__ import annotations

import os
import socket

import pytest

from tests.store.test_claims import dead_local_owner
from xene.store.owners import agent_owner, owner_alive, owner_id


def test_this_process_is_alive() -> None:
    assert owner_alive(owner_id())


def test_owner_id_is_host_and_pid() -> None:
    assert owner_id() == f"{socket.gethostname()}:{os.getpid()}"


def test_an_ended_local_process_is_dead() -> None:
    assert not owner_alive(dead_local_owner())


def test_an_owner_on_another_host_is_assumed_alive() -> None:
    assert owner_alive("some-other-host.example:1")


def test_an_owner_that_is_not_host_and_pid_is_assumed_alive() -> None:
    assert owner_alive("")
    assert owner_alive(f"{socket.gethostname()}:not-a-pid")
    assert owner_alive(f"{socket.gethostname()}:0")


def test_a_remote_agent_is_assumed_alive_whatever_this_host_is_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`agent:NAME` looks like `host:pid` on a host called `agent` with an agent `123`:
    the built-in agent's take-over of dead local owners must leave it alone."""
    monkeypatch.setattr(socket, "gethostname", lambda: "agent")
    assert agent_owner("123") == "agent:123"
    assert owner_alive(agent_owner("123"))
