"""Webhook helpers: signatures, tokens, bodies and delivery ids."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from xene.triggers.webhook import (
    BadPayload,
    delivery_key,
    verify_signature,
    verify_token,
    webhook_input,
)

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
# GitHub's documented example for this secret and body.
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def test_signature_matches_githubs_documented_example() -> None:
    assert verify_signature(SECRET, BODY, GITHUB_SIGNATURE)


def test_signature_accepts_upper_case_hex_and_spaces() -> None:
    assert verify_signature(SECRET, BODY, "  " + GITHUB_SIGNATURE.upper() + " ")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        sign(b"another secret", BODY),
        sign(SECRET, BODY + b"!"),
        GITHUB_SIGNATURE.replace("sha256=", "sha1="),
        GITHUB_SIGNATURE.removeprefix("sha256="),
        "sha256=",
        "sha256=zz\u00e9",
    ],
)
def test_signature_refuses_a_wrong_or_missing_one(header: str | None) -> None:
    assert not verify_signature(SECRET, BODY, header)


def test_signature_with_an_empty_secret_is_refused() -> None:
    assert not verify_signature(b"", BODY, sign(b"", BODY))


def test_token_must_match_exactly() -> None:
    assert verify_token("s3cret", "s3cret")
    assert not verify_token("s3cret", "s3cret ")
    assert not verify_token("s3cret", "S3CRET")
    assert not verify_token("s3cret", None)
    assert not verify_token("s3cret", "s3cr\u00e9t")


def test_an_empty_expected_token_never_matches() -> None:
    assert not verify_token("", "")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"ref": "main", "n": [1, 2]}', {"ref": "main", "n": [1, 2]}),
        ("application/json; charset=utf-8", b"[1, 2]", [1, 2]),
        ("Application/JSON", b'"text"', "text"),
        ("application/vnd.github+json", b'{"a": 1}', {"a": 1}),
        ("application/json", b"  ", {}),
        ("application/json; charset=latin-1", '{"a": "\u00e9"}'.encode("latin-1"), {"a": "\u00e9"}),
    ],
)
def test_json_bodies_become_their_value(content_type: str, body: bytes, expected: object) -> None:
    assert webhook_input(content_type, body) == expected


def test_form_fields_become_a_dict_and_repeated_ones_a_list() -> None:
    body = b"name=build&tag=a&tag=b&empty=&text=hello+world%21"
    assert webhook_input("application/x-www-form-urlencoded", body) == {
        "name": "build",
        "tag": ["a", "b"],
        "empty": "",
        "text": "hello world!",
    }


@pytest.mark.parametrize("content_type", ["text/plain", "", "application/octet-stream"])
def test_other_bodies_become_text(content_type: str) -> None:
    assert webhook_input(content_type, b"hello\n") == {"body": "hello\n"}


def test_malformed_json_is_a_bad_payload_saying_where() -> None:
    with pytest.raises(BadPayload, match=r"not valid JSON: .* line 1 column 9"):
        webhook_input("application/json", b'{"a": 1,,}')


def test_a_bad_payload_is_a_value_error() -> None:
    assert issubclass(BadPayload, ValueError)


def test_bytes_that_are_not_text_in_the_charset_are_a_bad_payload() -> None:
    with pytest.raises(BadPayload, match="not valid utf-8 text"):
        webhook_input("text/plain", b"\xff\xfe")


def test_an_unknown_charset_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload, match="unknown charset 'klingon'"):
        webhook_input("application/json; charset=klingon", b"{}")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-GitHub-Delivery": "72d3162e"}, "72d3162e"),
        ({"x-github-delivery": "72d3162e"}, "72d3162e"),
        ({"X-Delivery-Id": "d-1"}, "d-1"),
        ({"idempotency-key": " k-1 "}, "k-1"),
        ({"Idempotency-Key": "k-1", "X-GitHub-Delivery": "g-1"}, "g-1"),
        ({"Idempotency-Key": ""}, None),
        ({"Content-Type": "application/json"}, None),
        ({}, None),
    ],
)
def test_delivery_key(headers: dict[str, str], expected: str | None) -> None:
    assert delivery_key(headers) == expected


def test_a_form_with_only_a_json_payload_field_is_that_json() -> None:
    body = b"payload=%7B%22ref%22%3A%20%22main%22%7D"
    assert webhook_input("application/x-www-form-urlencoded", body) == {"ref": "main"}


def test_a_payload_field_that_is_not_json_stays_text() -> None:
    body = b"payload=hello"
    assert webhook_input("application/x-www-form-urlencoded", body) == {"payload": "hello"}
