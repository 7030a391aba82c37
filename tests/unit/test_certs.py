"""Certificates for mutual TLS: what `xene.certs` issues is what a TLS peer checks."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from xene import certs
from xene.certs import CertError

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ca() -> certs.Pair:
    return certs.new_ca("Test CA", NOW, days=30)


def loaded(pair: certs.Pair) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pair.cert_pem)


def test_a_ca_signs_leaves_only(ca: certs.Pair) -> None:
    cert = loaded(ca)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    assert cert.issuer == cert.subject
    assert certs.describe(ca.cert_pem).kind == "ca"


def test_an_issued_certificate_is_signed_by_the_ca(ca: certs.Pair) -> None:
    leaf = loaded(certs.issue(ca, "agent", "build-01", NOW))
    leaf.verify_directly_issued_by(loaded(ca))
    namesake = certs.new_ca("Test CA", NOW)  # the same name, another key
    with pytest.raises(InvalidSignature):
        leaf.verify_directly_issued_by(loaded(namesake))


def test_a_server_certificate_names_its_hosts_and_addresses(ca: certs.Pair) -> None:
    pair = certs.issue(
        ca, "server", "xene.example.com", NOW, hosts=["xene.example.com", "10.0.0.5"]
    )
    info = certs.describe(pair.cert_pem)
    assert (info.kind, info.name, info.hosts) == (
        "server",
        "xene.example.com",
        ("xene.example.com", "10.0.0.5"),
    )
    sans = loaded(pair).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    usage = loaded(pair).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_an_agent_certificate_is_for_clients_and_named(ca: certs.Pair) -> None:
    pair = certs.issue(ca, "agent", "build-01", NOW, hosts=["build-01"])
    info = certs.describe(pair.cert_pem)
    assert (info.kind, info.name) == ("agent", "build-01")
    assert certs.common_name(loaded(pair)) == "build-01"
    assert "Test CA" in info.issuer
    assert len(info.fingerprint) == 64


def test_keys_are_p256_and_certificates_start_a_little_early(ca: certs.Pair) -> None:
    from cryptography.hazmat.primitives import serialization

    pair = certs.issue(ca, "agent", "a", NOW, days=10)
    key = serialization.load_pem_private_key(pair.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    info = certs.describe(pair.cert_pem)
    assert info.not_before < NOW
    assert info.not_after == NOW + dt.timedelta(days=10)


def test_a_certificate_never_outlives_its_ca(ca: certs.Pair) -> None:
    info = certs.describe(certs.issue(ca, "agent", "a", NOW, days=825).cert_pem)
    assert info.not_after <= certs.describe(ca.cert_pem).not_after


def test_a_ca_about_to_expire_issues_nothing(ca: certs.Pair) -> None:
    with pytest.raises(CertError, match="expires within a day"):
        certs.issue(ca, "agent", "a", NOW + dt.timedelta(days=29, hours=12))


@pytest.mark.parametrize("name", ["", "a b", "-lead", "x" * 64, "a/b", "é"])
def test_agent_names_are_plain(name: str) -> None:
    with pytest.raises(CertError, match="not a usable agent name"):
        certs.check_name(name)


def test_agent_names_may_use_dots_dashes_and_underscores() -> None:
    assert certs.check_name("gpu_box-01.lab") == "gpu_box-01.lab"


def test_not_a_certificate_is_said_so() -> None:
    with pytest.raises(CertError, match="not a PEM certificate"):
        certs.describe(b"hello")
