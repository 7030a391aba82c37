"""Certificates for mutual TLS between servers and agents: one CA per installation, a
certificate for each server (its host names and addresses) and one for each agent (its
name). Made with the `cryptography` library; keys are ECDSA P-256.

The CA lives in `$XENE_HOME/certs` (`ca.pem`, `ca.key`), and `xene certs` writes what it
issues beside it: `server.pem`/`server.key`, `agent-NAME.pem`/`agent-NAME.key`. Keys are
written mode 0600 and never overwritten: a CA made anew would make every certificate it
signed worthless, so replacing one takes a deliberate `--force`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from xene.errors import XeneError
from xene.frozen import frozen

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

Kind = Literal["ca", "server", "agent"]
CA_DAYS = 3650
LEAF_DAYS = 825
"""Issued certificates' default lifetime: what browsers and most TLS stacks accept."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
"""An agent's name: it becomes a file name and a certificate's common name."""


class CertError(XeneError):
    """A certificate or key cannot be made, read or used: the message says which file."""


@frozen
class Pair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


@frozen
class CertInfo:
    """What a certificate says, for `xene certs list` and for messages."""

    name: str
    """Its common name: the CA's name, a server's first host, an agent's name."""
    kind: Kind
    not_before: dt.datetime
    not_after: dt.datetime
    hosts: tuple[str, ...]
    """Host names and addresses it is valid for (servers)."""
    issuer: str
    fingerprint: str
    """SHA-256 of the certificate, hex: what to compare when in doubt."""


def home() -> Path:
    """`$XENE_HOME/certs` (XENE_HOME: ~/.xene)."""
    return Path(os.environ.get("XENE_HOME") or "~/.xene").expanduser() / "certs"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise CertError(
            f"{name!r} is not a usable agent name: use letters, digits, '.', '_' and '-' "
            "(at most 63, starting with a letter or digit), e.g. build-01"
        )
    return name


def new_ca(name: str, now: dt.datetime, days: int = CA_DAYS) -> Pair:
    """A self-signed CA that may sign leaf certificates only (path length 0)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        _builder(subject, subject, key, now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    return _signed(builder, key, key)


def issue(
    ca: Pair,
    kind: Literal["server", "agent"],
    name: str,
    now: dt.datetime,
    *,
    hosts: Sequence[str] = (),
    days: int = LEAF_DAYS,
) -> Pair:
    """A certificate signed by `ca`: for a server (valid for `hosts`: names and IP
    addresses; `name` is the first) or for an agent (`name` is its identity)."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert, ca_key = _load_pair(ca)
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    purpose = (
        ExtendedKeyUsageOID.SERVER_AUTH if kind == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
    )
    builder = (
        _builder(subject, ca_cert.subject, key, now, min(days, _days_left(ca_cert, now)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName(_sans(hosts)), False)
    return _signed(builder, key, ca_key)


def describe(cert_pem: bytes) -> CertInfo:
    """What `cert_pem` says; CertError when it is not a PEM certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise CertError(f"not a PEM certificate ({exc})") from exc
    return CertInfo(
        name=common_name(cert),
        kind=_kind(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        hosts=_hosts(cert),
        issuer=cert.issuer.rfc4514_string(),
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


def common_name(cert: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _new_key() -> EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: EllipticCurvePrivateKey,
    now: dt.datetime,
    days: int,
) -> x509.CertificateBuilder:
    from cryptography import x509

    if days < 1:
        raise CertError("the CA expires within a day: make a new one (xene certs init --force)")
    start = now - dt.timedelta(minutes=5)  # a peer whose clock is a little behind accepts it
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sans(hosts: Sequence[str]) -> list[x509.GeneralName]:
    from cryptography import x509

    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _signed(
    builder: x509.CertificateBuilder, key: EllipticCurvePrivateKey, signer: EllipticCurvePrivateKey
) -> Pair:
    from cryptography.hazmat.primitives import hashes, serialization

    cert = builder.sign(signer, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Pair(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def _load_pair(pair: Pair) -> tuple[x509.Certificate, EllipticCurvePrivateKey]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    cert = x509.load_pem_x509_certificate(pair.cert_pem)
    key = serialization.load_pem_private_key(pair.key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertError("the CA's key is not an ECDSA key made by `xene certs init`")
    return cert, key


def _days_left(cert: x509.Certificate, now: dt.datetime) -> int:
    """An issued certificate never outlives its CA."""
    return (cert.not_valid_after_utc - now).days


def _kind(cert: x509.Certificate) -> Kind:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return "ca"
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return "server"
    return "agent" if ExtendedKeyUsageOID.CLIENT_AUTH in usages else "server"


def _hosts(cert: x509.Certificate) -> tuple[str, ...]:
    from cryptography import x509

    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(name.value) for name in sans)
