"""Timestamped webhook signatures: `X-Xene-Timestamp` and `X-Xene-Signature: v1=<hex>`,
the HMAC-SHA256 of `<timestamp>.<body>`, at most 5 minutes from the server's clock."""

from __future__ import annotations

import pytest

from xene.triggers.webhook import (
    TOLERANCE_S,
    BadSignature,
    signature_scheme,
    timestamped_signature,
    verify_signature,
    verify_timestamped,
)

SECRET = b"It's a Secret to Everybody"
BODY = b'{"ref":"main"}'
STAMP = "1700000000"
NOW = 1_700_000_030.0
# What `printf '%s' '1700000000.{"ref":"main"}' | openssl dgst -sha256 -hmac "$SECRET"`
# prints (the README's example computes it so).
OPENSSL = "v1=559bbd52d520b3818d133f5de2b3627c88e2ca303c34ccdb175be88492e7faca"


def test_the_signature_is_what_openssl_computes() -> None:
    assert timestamped_signature(SECRET, STAMP, BODY) == OPENSSL


def test_a_fresh_valid_signature_passes_and_names_what_to_record() -> None:
    seen = verify_timestamped(SECRET, BODY, STAMP, OPENSSL, NOW)
    assert seen == f"{STAMP}.{OPENSSL.removeprefix('v1=')}"


def test_one_matching_signature_among_several_passes() -> None:
    header = "v1=" + "0" * 64 + ", " + OPENSSL.upper().replace("V1=", "v1=")
    assert verify_timestamped(SECRET, BODY, STAMP, header, NOW).startswith(STAMP)


@pytest.mark.parametrize("offset", [TOLERANCE_S + 1, -(TOLERANCE_S + 1)])
def test_a_stale_or_future_timestamp_is_refused_saying_by_how_much(offset: float) -> None:
    with pytest.raises(BadSignature, match=r"301 s (old|ahead).*more than 300 s"):
        verify_timestamped(SECRET, BODY, STAMP, OPENSSL, int(STAMP) + offset)


def test_a_timestamp_at_the_tolerance_passes() -> None:
    assert verify_timestamped(SECRET, BODY, STAMP, OPENSSL, int(STAMP) + TOLERANCE_S)


@pytest.mark.parametrize(
    ("body", "stamp"),
    [(b'{"ref":"evil"}', STAMP), (BODY, "1700000999")],
    ids=["tampered body", "tampered timestamp"],
)
def test_a_tampered_body_or_timestamp_does_not_match(body: bytes, stamp: str) -> None:
    with pytest.raises(BadSignature, match="does not match"):
        verify_timestamped(SECRET, body, stamp, OPENSSL, NOW)


def test_another_secret_does_not_match() -> None:
    with pytest.raises(BadSignature, match="does not match"):
        verify_timestamped(b"guess", BODY, STAMP, OPENSSL, NOW)


@pytest.mark.parametrize(
    ("stamp", "header", "says"),
    [
        (STAMP, None, "X-Xene-Signature signature is missing"),
        (None, OPENSSL, "X-Xene-Timestamp header is missing"),
        ("2023-11-14T22:13:20Z", OPENSSL, "must be unix seconds"),
        ("-1700000000", OPENSSL, "must be unix seconds"),
        (STAMP, "sha256=" + "0" * 64, "holds no v1="),
    ],
)
def test_missing_or_malformed_headers_are_refused_saying_which(
    stamp: str | None, header: str | None, says: str
) -> None:
    with pytest.raises(BadSignature, match=says):
        verify_timestamped(SECRET, BODY, stamp, header, NOW)


def test_a_timestamped_signature_is_no_github_signature_of_the_body() -> None:
    github = "sha256=" + OPENSSL.removeprefix("v1=")
    assert not verify_signature(SECRET, BODY, github)


def test_the_signature_param_is_absent_or_timestamped() -> None:
    assert signature_scheme({}) is None
    assert signature_scheme({"signature": "timestamped"}) == "timestamped"
    with pytest.raises(ValueError, match="only value is timestamped"):
        signature_scheme({"signature": "timestmaped"})
