"""A real Docker engine for tests and benchmarks, and an image made without a registry.

No registry is reachable on these machines, so the test image is a busybox root file
system imported from this machine's static busybox (Debian's `busybox-static`), about
0.2 s. `dockerd` is started when none answers and this process may (root, the binary
installed by `scripts/bootstrap`); see shared/CONTAINERS.md for the recipe.
"""

from __future__ import annotations

import gc
import io
import os
import shutil
import socket
import subprocess
import tarfile
import time
import warnings
from typing import Any

IMAGE = "xene-test-busybox:latest"
BUSYBOX = "/bin/busybox"
LOG = "/tmp/xene-test-dockerd.log"


class NoEngine(Exception):
    """No Docker engine could be reached or started; the message says why."""


STARTED: list[subprocess.Popen[bytes]] = []
"""The dockerd this process started, if it did: `stop_started` ends it."""


def client() -> Any:
    """A Docker client on a running engine, starting `dockerd` first if none answers."""
    try:
        import docker
    except ImportError as error:
        message = f"the Docker SDK is not installed ({error}): pip install -e '.[dev]'"
        raise NoEngine(message) from None
    found = _ping(docker)
    if found is not None:
        return found
    if shutil.which("dockerd") is None:
        raise NoEngine("no engine answers and dockerd is not installed (apt-get install docker.io)")
    if os.geteuid() != 0:
        raise NoEngine("no engine answers, and only root can start dockerd here")
    with open(LOG, "ab") as log:
        daemon = subprocess.Popen(
            ["dockerd"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    STARTED.append(daemon)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _ping(docker)
        if found is not None:
            return found
        time.sleep(0.1)
    raise NoEngine(f"dockerd was started but did not answer within 60 s (see {LOG})")


def stop_started() -> None:
    """End the dockerd this process started (SIGTERM: it stops its containers first)."""
    while STARTED:
        daemon = STARTED.pop()
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()


def _ping(docker: Any) -> Any:
    """A client of an engine that answers, else None. The SDK leaves the socket of a
    failed connection open, for the garbage collector to find (a ResourceWarning in
    whichever test runs then): a local socket is probed first, and what a failed try
    left is collected here, its warnings ignored."""
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if where.startswith("unix://"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(where.removeprefix("unix://"))
            except OSError:
                return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            found = docker.from_env(timeout=10)
            found.ping()
        except Exception:
            gc.collect()
            return None
    return found


def busybox_image(docker_client: Any, name: str = IMAGE) -> str:
    """`name`, imported from this machine's busybox unless the engine has it already."""
    import docker

    try:
        docker_client.images.get(name)
        return name
    except docker.errors.ImageNotFound:
        pass
    if not os.path.exists(BUSYBOX):
        raise NoEngine(f"{BUSYBOX} is missing (apt-get install busybox-static)")
    repository, _, tag = name.rpartition(":")
    docker_client.api.import_image_from_data(
        _rootfs(), repository=repository, tag=tag, changes=["ENV PATH=/bin", 'CMD ["/bin/sh"]']
    )
    return name


def _rootfs() -> bytes:
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder, mode in (("bin", 0o755), ("tmp", 0o1777), ("etc", 0o755), ("root", 0o700)):
            _add(tar, folder, tarfile.DIRTYPE, mode)
        with open(BUSYBOX, "rb") as handle:
            _add(tar, "bin/busybox", tarfile.REGTYPE, 0o755, handle.read())
        for applet in applets.stdout.split():
            if applet != "busybox":
                _add(tar, f"bin/{applet}", tarfile.SYMTYPE, 0o777, link="busybox")
        passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n"
        _add(tar, "etc/passwd", tarfile.REGTYPE, 0o644, passwd.encode())
        _add(tar, "etc/group", tarfile.REGTYPE, 0o644, b"root:x:0:\nnogroup:x:65534:\n")
    return buffer.getvalue()


def _add(
    tar: tarfile.TarFile, name: str, kind: bytes, mode: int, data: bytes = b"", link: str = ""
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.linkname = kind, mode, len(data), link
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data) if data else None)
