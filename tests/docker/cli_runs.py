"""Helpers for driving container pipelines through the `xene` command, as a user would:
the original Xene manifest's shape on the test image, a store (and so a container scope)
of each test's own, a `xene run` stopped mid-step by SIGKILL, and what the engine holds.

The manifest is tests/fixtures/valid/xene-original-manifest.json with its image and
commands changed for busybox, its tasks, dependencies and working directories kept.
`compile` holds in its first step until the test lets it go (a file in a directory
bind-mounted at /flags), so the test knows where the run is when it kills `xene run`.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.cli_helpers import FIXTURES, XENE, run_process, wait_until
from xene.cli.stores import scope_of

SHELLS = {
    ("prepare", "refresh"): "echo prepare >> /flags/EFFECTS; echo tools > tools.txt",
    ("prepare", "tools"): "echo git make >> tools.txt",
    ("fetch", "clone"): "echo fetch >> /flags/EFFECTS; mkdir -p ping && echo main > ping/main.go",
    ("compile", "fmt"): (
        "echo compile >> /flags/EFFECTS; test -f main.go; touch /flags/REACHED; "
        "while [ ! -f /flags/GO ]; do sleep 0.02; done"
    ),
    ("compile", "build"): "cat main.go ../tools.txt > ping.bin",
    ("check", "test"): "grep main ping.bin && grep git ping.bin && echo check >> /flags/EFFECTS",
}


def manifest(image: str, flags: Path) -> dict[str, Any]:
    """The original manifest on `image`, its steps those of SHELLS; no trigger (a cron
    trigger is only listed by `xene run`)."""
    original = json.loads((FIXTURES / "valid" / "xene-original-manifest.json").read_text())
    spec = original["spec"]
    spec.pop("triggers")
    (pipeline,) = spec["pipelines"].values()
    pipeline.pop("trigger")
    pipeline["executor"]["containerConfig"] = {
        "image": image,
        "network": "none",
        "volumes": [f"{flags}:/flags"],
    }
    for name, task in pipeline["tasks"].items():
        for step in task["steps"]:
            step["cmd"] = SHELLS[name, step["name"]]
    return dict(original)


@dataclass
class Workspace:
    """A test's directory: the manifest, the store, and the flags the steps see."""

    root: Path
    image: str

    def __post_init__(self) -> None:
        self.flags.mkdir(exist_ok=True)
        self.flags.chmod(0o777)
        self.file.write_text(json.dumps(manifest(self.image, self.flags)), encoding="utf-8")

    @property
    def flags(self) -> Path:
        return self.root / "flags"

    @property
    def file(self) -> Path:
        return self.root / "ping.json"

    @property
    def store(self) -> str:
        return f"sqlite:///{self.root}/runs.db"

    @property
    def scope(self) -> str:
        return scope_of(self.store)

    def effects(self) -> list[str]:
        path = self.flags / "EFFECTS"
        return path.read_text().split() if path.exists() else []

    def xene(self, *args: str, env: dict[str, str] | None = None) -> Any:
        """`xene ARGS --store STORE` as a child process; its Result."""
        return run_process(*args, "--store", self.store, env=env, timeout=120)

    def killed_in_compile(self) -> str:
        """Start `xene run`, SIGKILL it once `compile` holds; the run's id."""
        process = subprocess.Popen(
            [*XENE, "run", str(self.file), "--store", self.store],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until((self.flags / "REACHED").exists, 60, "compile to hold")
        finally:
            process.send_signal(signal.SIGKILL)
            out, _ = process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL, out
        return self.only_run()

    def only_run(self) -> str:
        listed = self.xene("runs", "--json")
        assert listed.code == 0, listed.err
        (run,) = json.loads(listed.out)
        return str(run["id"])

    def let_go(self) -> None:
        (self.flags / "GO").touch()


def labelled(key: str, value: str) -> dict[str, str]:
    return {"label": f"{key}={value}"}


def containers_of(client: Any, run_id: str) -> list[Any]:
    return list(client.containers.list(all=True, filters=labelled("xene.run", run_id)))


def volumes_of(client: Any, run_id: str) -> list[Any]:
    return list(client.volumes.list(filters=labelled("xene.run", run_id)))


def workspace(root: Path, image: str, client: Any) -> Iterator[Workspace]:
    """A fresh workspace; what is left in its store's scope is removed afterwards,
    whatever happened (and nothing of any other scope)."""
    made = Workspace(root, image)
    yield made
    scope = made.scope
    for container in client.containers.list(all=True, filters=labelled("xene.scope", scope)):
        container.remove(force=True)
    for volume in client.volumes.list(filters=labelled("xene.scope", scope)):
        volume.remove(force=True)
