"""Which trigger types Xene runs, and the keys each one takes, in both definition formats.

A flow trigger keeps its settings under `params:`; a manifest trigger keeps them at its
top level, beside `type:`. Either way a key the trigger type does not read is refused
with its location (a typo such as `secert:` would otherwise leave a webhook unsigned),
and so is a type that is accepted by the original formats but not built yet.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from xene.spec.source import join
from xene.spec.validate import Reader

FLOW_TYPES = ("webhook", "cron", "filesystem", "manual")
MANIFEST_TYPES = ("default", "webhook", "cron", "manual", "filesystem")
NOT_YET = ("queue", "kafka", "memory")
"""Types the original formats name that no trigger of Xene implements yet."""

_WEBHOOK = (
    "path",
    "secret",
    "secret_env",
    "token",
    "token_env",
    "signature",
    "method",
    "host",
    "port",
)
"""`host`, `port` and `method` are XERV's: Xene serves every webhook on its own port."""
_FILESYSTEM = ("path", "events", "recursive", "pattern")
FLOW_PARAMS: Mapping[str, tuple[str, ...]] = {
    "webhook": _WEBHOOK,
    "cron": ("schedule", "cron", "expression", "timezone", "catchup"),
    "filesystem": _FILESYSTEM,
    "manual": (),
}
MANIFEST_PARAMS: Mapping[str, tuple[str, ...]] = {
    "default": _WEBHOOK,
    "webhook": _WEBHOOK,
    "cron": ("cronConfig", "timezone", "catchup"),
    "filesystem": _FILESYSTEM,
    "manual": (),
}


def check_type(reader: Reader, kind: str, path: str, supported: tuple[str, ...]) -> bool:
    """Report a type that is unknown or not built yet; True when `kind` can run."""
    if not kind or kind in supported:
        return bool(kind)
    allowed = ", ".join(supported)
    if kind in NOT_YET:
        reader.error(path, f'trigger type "{kind}" is not supported yet; supported: {allowed}')
    else:
        reader.error(path, f'unknown trigger type "{kind}"; use one of: {allowed}')
    return False


def check_keys(
    reader: Reader,
    keys: Collection[str],
    path: str,
    *,
    kind: str,
    by_type: Mapping[str, tuple[str, ...]],
    what: str,
) -> None:
    """Report each key of `keys` that a `kind` trigger does not read (`what` names the
    mapping, e.g. `params of webhook trigger "hook"`), with a hint where one helps."""
    known = by_type[kind]
    for key in keys:
        if key not in known:
            reader.error(join(path, key), _unknown(key, kind, known, by_type, what))


def _unknown(
    key: str, kind: str, known: tuple[str, ...], by_type: Mapping[str, tuple[str, ...]], what: str
) -> str:
    if not known:
        return f'unknown key "{key}" in {what}: a {kind} trigger has no settings'
    import difflib  # only for a mistake: `xene run` does not pay for it

    listed = f"(known keys: {', '.join(sorted(known))})"
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f'unknown key "{key}" in {what}; did you mean "{close[0]}"? {listed}'
    owners = [other for other, keys in by_type.items() if key in keys and other != "default"]
    if owners:
        return (
            f'unknown key "{key}" in {what}: "{key}" belongs to {" and ".join(owners)} '
            f"triggers, not {kind} ones {listed}"
        )
    return f'unknown key "{key}" in {what} {listed}'


def flow_params(reader: Reader, body: Mapping[str, Any], path: str, kind: str, name: str) -> None:
    """The `params:` of a flow trigger whose type `kind` is supported."""
    params = body.get("params")
    if isinstance(params, dict):
        what = f'params of {kind} trigger "{name}"'
        where = join(path, "params")
        check_keys(reader, params, where, kind=kind, by_type=FLOW_PARAMS, what=what)


def misplaced_in_flow(key: str, kind: str) -> str | None:
    """The hint for a key written beside a flow trigger's `type` that belongs in `params`."""
    if key in FLOW_PARAMS.get(kind, ()):
        return f"it belongs under params (params: {{{key}: ...}})"
    return None


def manifest_keys(
    reader: Reader,
    body: Mapping[str, Any],
    path: str,
    kind: str,
    name: str,
    common: Collection[str],
) -> None:
    """The keys of a manifest trigger beside `type` (a supported `kind`)."""
    if "params" in body:
        reader.error(join(path, "params"), _no_params(body["params"], kind))
    rest = [key for key in body if key not in common and key != "params"]
    what = f'{kind} trigger "{name}"'
    check_keys(reader, rest, path, kind=kind, by_type=MANIFEST_PARAMS, what=what)


def _no_params(inside: Any, kind: str) -> str:
    keys = list(inside) if isinstance(inside, dict) else []
    example = f"{keys[0]}: ..." if keys else "..."
    what = ", ".join(keys) if keys else "its settings"
    return (
        f'a manifest trigger has no "params": write {what} at the trigger\'s top level, '
        f"beside type ({{type: {kind}, {example}}})"
    )
