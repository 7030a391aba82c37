"""`xene agent`: bad settings exit 2 naming the flag; drain and forget need a NAME; an idle
agent has not imported the engine (it is imported on the first claim)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xene.agent.settings import AgentSettings
from xene.cli.main import main


def test_bad_settings_exit_2_naming_each_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = str(tmp_path / "ca.pem")
    argv = ["agent", "--server", "http://x", "--name", "a", "--capacity", "0",
            "--labels", "gpu,no spaces", "--ca", ca, "--grace", "-1"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"xene agent: --ca {tmp_path / 'ca.pem'}: no such file",
        "xene agent: --capacity 0: give 1 to 1000 runs at once",
        "xene agent: --labels: label 'no spaces' is not usable: letters, digits and _ . : = / - "
        "(at most 63, starting with a letter or digit), e.g. gpu or os=linux",
        "xene agent: --grace -1: give running steps 0 seconds or more",
    ]


def test_an_agent_without_a_server_or_an_identity_says_how_to_give_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XENE_TOKEN", raising=False)
    assert main(["agent"]) == 2
    err = capsys.readouterr().err
    assert "xene agent: name a server: --server https://" in err
    assert "the agent needs an identity: --cert and --key" in err


def test_drain_and_forget_need_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent", "drain"]) == 2
    assert "`xene agent drain` needs the agent's NAME" in capsys.readouterr().err
    assert main(["agent", "forget", "a", "--server", "http://x", "--server", "http://y"]) == 2
    assert "give --server once" in capsys.readouterr().err


def test_the_spool_is_under_xene_home_unless_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XENE_HOME", str(tmp_path))
    assert AgentSettings(servers=()).spool_dir("gpu-1") == tmp_path / "agent/gpu-1/spool"
    given = AgentSettings(servers=(), spool=str(tmp_path / "s"))
    assert given.spool_dir("gpu-1") == tmp_path / "s"


def test_an_idle_agent_has_not_imported_the_engine() -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from xene.agent.agent import Agent\n"
        "from xene.agent.settings import AgentSettings\n"
        "from xene.agent.work import Work\n"
        "agent = Agent(AgentSettings(servers=('http://127.0.0.1:9',), name='a'))\n"
        "Work(agent.api, 2, Path('.'), agent.register)\n"
        "heavy = ('xene.engine.engine', 'xene.store.wire', 'xene.store.base', 'xene.ir',\n"
        "         'pydantic', 'yaml', 'httpx', 'xene.executors')\n"
        "print(' '.join(name for name in heavy if name in sys.modules))\n"
    )
    command = [sys.executable, "-c", script]
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []
