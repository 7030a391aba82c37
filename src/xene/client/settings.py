"""Which server a command talks to, and with which token.

The server: `--server URL`, else `$XENE_SERVER`, else `server:` in the config file
`$XENE_HOME/config.yaml` (XENE_HOME defaults to ~/.xene); an https server whose
certificate comes from your own CA (`xene certs`) is trusted with `$XENE_CA`, else `ca:`.
A command that can also use a local store stays local when given `--store URL` or
`$XENE_STORE` (unless `--server` or `$XENE_SERVER` is set too). The token: `$XENE_TOKEN`,
else `token:` in the file.

    # $XENE_HOME/config.yaml
    server: https://xene.example.com:6060
    token: eyJhbGciOi...        # keep this file private: chmod 600
    ca: ~/.xene/certs/ca.pem    # only for a server certificate from `xene certs`
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xene.client.errors import ApiError
from xene.frozen import frozen

KEYS = ("server", "token", "ca")


@frozen
class Target:
    """A server to talk to."""

    url: str
    """`http(s)://host:port`, without a trailing slash."""
    token: str | None
    origin: str
    """Where the URL came from (`--server`, `XENE_SERVER` or the config file's path)."""
    ca: str | None = None
    """A CA file to trust for https (`$XENE_CA`, else `ca:`); None: the system's CAs."""

    @property
    def verify(self) -> str | bool:
        """What `ApiClient` checks the server's certificate against."""
        return str(Path(self.ca).expanduser()) if self.ca else True


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("XENE_HOME") or "~/.xene").expanduser() / "config.yaml"


def choose(
    server: str | None,
    store: str | None = None,
    *,
    local: bool = True,
    env: Mapping[str, str] | None = None,
) -> Target | None:
    """The server to use, or None for a local store. `server` is `--server`, `store` is
    `--store`: giving both is an error; `--store` or `$XENE_STORE` keep a command local
    unless a server is named by flag or by `$XENE_SERVER`. `local=False`: the command
    has no local store, so `$XENE_STORE` does not count."""
    env = os.environ if env is None else env
    if server and store:
        raise ApiError("give either --server or --store, not both", code=2)
    if store:
        return None
    config = read_config(config_path(env))
    token = env.get("XENE_TOKEN") or config.get("token") or None
    ca = env.get("XENE_CA") or config.get("ca") or None
    if server:
        return Target(normalized(server, "--server"), token, "--server", ca)
    if env.get("XENE_SERVER"):
        return Target(normalized(env["XENE_SERVER"], "XENE_SERVER"), token, "XENE_SERVER", ca)
    if (local and env.get("XENE_STORE")) or not config.get("server"):
        return None
    origin = str(config_path(env))
    return Target(normalized(config["server"], origin), token, origin, ca)


def read_config(path: Path) -> dict[str, str]:
    """The config file's `server`, `token` and `ca`; {} when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ApiError(f"{path}: cannot read the config file ({exc.strerror})", code=2) from exc
    import yaml

    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ApiError(f"{path}: not valid YAML: {exc}", code=2) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(
            f"{path}: expected keys {', '.join(KEYS)}, found a {type(data).__name__}", code=2
        )
    unknown = sorted(str(k) for k in data if k not in KEYS)
    if unknown:
        raise ApiError(f"{path}: unknown key {unknown[0]!r}; known: {', '.join(KEYS)}", code=2)
    wrong = [k for k in KEYS if k in data and not isinstance(data[k], str)]
    if wrong:
        raise ApiError(f"{path}: {wrong[0]} must be text", code=2)
    return {k: str(data[k]).strip() for k in KEYS if k in data}


def normalized(url: str, origin: str) -> str:
    """`http://host:6060/` -> `http://host:6060`; refuse what is not an http(s) URL."""
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest:
        raise ApiError(
            f"{origin}: {url!r} is not a server URL; give one such as http://127.0.0.1:6060",
            code=2,
        )
    return url
