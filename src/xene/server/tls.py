"""HTTPS for `xene serve`, with client certificates for agents (mutual TLS).

With `--client-ca CA`, the TLS handshake asks each client for a certificate and checks
any it is given against CA: one signed by another CA, or expired, ends the handshake.
A client may also send none (people and scripts use bearer tokens); the agent routes
then refuse it (auth.require_agent). An accepted certificate's common name is the
agent's name.

uvicorn does not yet pass the client certificate to the application (its ASGI TLS
extension is unreleased), so `ClientCertProtocol` adds `scope["extensions"]["tls"]` as
that extension describes it, read once per connection, when the handshake is done.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    import asyncio

    from xene.server.config import ServerConfig

NO_MTLS = (
    "agents are not using mutual TLS (no --client-ca): they can sign in only with agent "
    "tokens. Set up certificates with `xene certs` for agents on a network you do not trust"
)
COMMON_NAME = "xene_common_name"
"""Xene's own key in the `tls` extension: the client certificate's common name."""


def uvicorn_options(config: ServerConfig) -> dict[str, Any]:
    """The TLS settings of `uvicorn.Config` for `config` (none without a certificate)."""
    if not config.tls_cert:
        return {}
    options: dict[str, Any] = {"ssl_certfile": config.tls_cert, "ssl_keyfile": config.tls_key}
    if config.client_ca:
        options |= {
            "ssl_ca_certs": config.client_ca,
            "ssl_cert_reqs": ssl.CERT_OPTIONAL,
            "http": ClientCertProtocol,
        }
    return options


def problem(config: ServerConfig) -> str | None:
    """What keeps these TLS files from being served, for a newcomer; None: they load."""
    if not config.tls_cert:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    what = f"--tls-cert {config.tls_cert} with --tls-key {config.tls_key}"
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
        what = f"--client-ca {config.client_ca}"
        if config.client_ca:
            context.load_verify_locations(cafile=config.client_ca)
    except FileNotFoundError as exc:
        return f"{exc.filename or what}: no such file"
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or exc
        return (
            f"{what}: cannot be used ({reason}); the certificate and key must be PEM files "
            "that belong together, as `xene certs server` writes them"
        )
    return None


class ClientCertProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, with the client certificate in each request's scope."""

    _tls: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._tls = tls_extension(transport.get_extra_info("ssl_object"))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]


def tls_extension(ssl_object: ssl.SSLObject | None) -> dict[str, Any] | None:
    """The ASGI `tls` extension of a connection (None when not encrypted)."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    peer = ssl_object.getpeercert() if der else None
    subject = _subject(peer or {})
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": ",".join(f"{k}={v}" for k, v in reversed(subject)) or None,
        "client_cert_error": None,
        "tls_version": VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,  # the spec's IANA number: Python's ssl does not give it
        COMMON_NAME: next((v for k, v in subject if k == "CN"), None),
    }


VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
SHORT = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU"}


def _subject(peer: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (SHORT.get(key, key), str(value)) for rdn in peer.get("subject", ()) for key, value in rdn
    ]


def client_common_name(scope: Mapping[str, Any]) -> str | None:
    """The verified client certificate's common name, if the request came with one."""
    tls = scope.get("extensions", {}).get("tls") or {}
    name = tls.get(COMMON_NAME)
    return name if isinstance(name, str) and name else None
