"""Webhook helpers: signature and token checks, body parsing, delivery ids.

Pure functions with no web framework: the server's route
`POST /api/v1/hooks/{workflow}/{trigger}` reads the request, calls these, and emits a
`TriggerEvent` whose input is `webhook_input(...)` and whose idempotency key comes from
`delivery_key(...)`, so a repeated delivery starts no second run.

Two signatures, both HMAC-SHA256 under the trigger's `secret`:
- GitHub's `X-Hub-Signature-256: sha256=<hex of the body's HMAC>`. Nothing in it is
  fresh, so a captured delivery can be sent again (a delivery id stops a second run only
  while the sender keeps it).
- Timestamped (Stripe and Slack style): `X-Xene-Timestamp: <unix seconds>` and
  `X-Xene-Signature: v1=<hex of the HMAC of "<timestamp>.<body>">`. A delivery more than
  `TOLERANCE_S` from the server's clock is refused, and the server refuses a (timestamp,
  signature) pair it has seen. A trigger with `signature: timestamped` accepts only
  these: otherwise `<timestamp>.<body>` sent as a body with the GitHub header would pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

SIGNATURE_HEADER = "X-Hub-Signature-256"
"""GitHub's header: `sha256=` then the hex HMAC-SHA256 of the raw body with the secret."""

DELIVERY_HEADERS = ("X-GitHub-Delivery", "X-Delivery-Id", "Idempotency-Key")
"""Headers naming a delivery, in the order they are looked for."""

TIMESTAMP_HEADER = "X-Xene-Timestamp"
TIMESTAMPED_HEADER = "X-Xene-Signature"
"""`v1=` then the hex HMAC-SHA256 of `<timestamp>.<raw body>`; several, comma-separated,
may be sent (while a secret is changed): one matching is enough."""
TOLERANCE_S = 300.0
"""How far a timestamped delivery may be from the server's clock, either way."""
SCHEMES = ("timestamped",)
"""Values of a webhook trigger's `signature` param (absent: either signature passes)."""

_SIGNATURE_PREFIX = "sha256="
_TIMESTAMPED_PREFIX = "v1="


class BadPayload(ValueError):
    """The webhook body cannot be read as its content type says (answer 400)."""


class BadSignature(ValueError):
    """A timestamped signature is missing, malformed, wrong or too old (answer 401)."""


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """Is `header` (`sha256=<hex>`) the HMAC-SHA256 of `body` under `secret`?

    A missing or malformed header is refused. The comparison takes the same time
    wherever the first difference is, so it leaks nothing about the expected value.
    """
    if not header or not secret:
        return False
    given = header.strip()
    if not given.lower().startswith(_SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    digest = given[len(_SIGNATURE_PREFIX) :].lower()
    return hmac.compare_digest(expected.encode(), digest.encode("utf-8", "replace"))


def timestamped_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`v1=<hex>`: what a sender puts in `X-Xene-Signature` for `body` sent at `timestamp`."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return _TIMESTAMPED_PREFIX + mac.hexdigest()


def verify_timestamped(
    secret: bytes,
    body: bytes,
    timestamp: str | None,
    header: str | None,
    now: float,
    tolerance_s: float = TOLERANCE_S,
) -> str:
    """Check a timestamped signature at time `now`; the `<timestamp>.<hex>` that matched
    (what to record so that a replay is recognised).

    Raises:
        BadSignature: saying which header is missing or malformed, that no signature
            matches, or how far the timestamp is from `now`.
    """
    if not header:
        raise BadSignature(f"the {TIMESTAMPED_HEADER} signature is missing")
    if not timestamp:
        raise BadSignature(f"the {TIMESTAMP_HEADER} header is missing (unix seconds)")
    stamp = timestamp.strip()
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be unix seconds, such as 1700000000")
    given = [p.strip() for p in header.split(",") if p.strip().startswith(_TIMESTAMPED_PREFIX)]
    if not given:
        raise BadSignature(f"{TIMESTAMPED_HEADER} holds no v1=<hex> signature")
    expected = timestamped_signature(secret, stamp, body).encode()
    matched = next(
        (g for g in given if hmac.compare_digest(expected, g.lower().encode("utf-8", "replace"))),
        None,
    )
    if not secret or matched is None:
        raise BadSignature(f"the {TIMESTAMPED_HEADER} signature does not match the body")
    drift = now - int(stamp)
    if abs(drift) > tolerance_s:
        where = f"{drift:.0f} s old" if drift > 0 else f"{-drift:.0f} s ahead of the server"
        raise BadSignature(
            f"the delivery's {TIMESTAMP_HEADER} is {where}: more than {tolerance_s:.0f} s "
            "are refused (a replay, or a clock that is off)"
        )
    return f"{stamp}.{matched.removeprefix(_TIMESTAMPED_PREFIX).lower()}"


def signature_scheme(params: Mapping[str, Any]) -> str | None:
    """A webhook trigger's `signature` param: None (either signature) or `timestamped`.
    ValueError for another value."""
    value = params.get("signature")
    if value is None or value in SCHEMES:
        return None if value is None else str(value)
    raise ValueError(f"signature is {value!r}: the only value is timestamped (or leave it out)")


def param_problems(params: Mapping[str, Any]) -> list[str]:
    """What is wrong with a webhook trigger's `signature` param, if anything."""
    try:
        scheme = signature_scheme(params)
    except ValueError as exc:
        return [str(exc)]
    if scheme and params.get("secret") is None and params.get("secret_env") is None:
        return [f"signature: {scheme} needs a secret (or secret_env) to check it with"]
    return []


def verify_token(expected: str, given: str | None) -> bool:
    """Is `given` the configured token? Constant time; an empty `expected` never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def webhook_input(content_type: str, body: bytes) -> Any:
    """The run input a webhook body carries.

    - `application/json` (and `...+json`): the JSON value itself; an empty body is `{}`.
    - `application/x-www-form-urlencoded`: a dict of fields; a repeated field is a list.
      A form whose only field is `payload` holding JSON (GitHub's form delivery) is
      that JSON value.
    - anything else: `{"body": <the text>}`.

    Raises:
        BadPayload: malformed JSON, or a body that is not text in its charset.
    """
    media, charset = _media_type(content_type)
    text = _decode(body, charset)
    if media == "application/json" or media.endswith("+json"):
        return _json(text)
    if media == "application/x-www-form-urlencoded":
        fields = _form(text)
        if list(fields) == ["payload"] and isinstance(fields["payload"], str):
            with contextlib.suppress(BadPayload):
                return _json(fields["payload"])
        return fields
    return {"body": text}


def delivery_key(headers: Mapping[str, str]) -> str | None:
    """The delivery id of a request (`X-GitHub-Delivery`, `X-Delivery-Id` or
    `Idempotency-Key`, in that order, any letter case); None if it has none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in DELIVERY_HEADERS:
        value = lowered.get(name.lower(), "").strip()
        if value:
            return value
    return None


def _media_type(content_type: str) -> tuple[str, str]:
    """`application/json; charset=utf-8` -> (`application/json`, `utf-8`)."""
    media, *params = (part.strip() for part in content_type.split(";"))
    charset = "utf-8"
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return media.lower(), charset


def _decode(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except LookupError:
        raise BadPayload(f"unknown charset {charset!r} in the Content-Type header") from None
    except UnicodeDecodeError as exc:
        raise BadPayload(
            f"the body is not valid {charset} text (byte {exc.start}); "
            "send UTF-8 or name the right charset in Content-Type"
        ) from None


def _json(text: str) -> Any:
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadPayload(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            "check it, or send another Content-Type than application/json"
        ) from None


def _form(text: str) -> dict[str, str | list[str]]:
    fields = parse_qs(text, keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in fields.items()}
