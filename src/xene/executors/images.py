"""Image references normalised as Docker does (the grammar of distribution/reference).

Pure: `golang` is `docker.io/library/golang:latest`, `ghcr.io/x/y:1` stays itself,
`localhost:5000/a` is `localhost:5000/a:latest`, and a digest is kept (with no `latest`
added). One image has one name, so labels, pulls and comparisons agree whichever way a
definition spelt it.
"""

from __future__ import annotations

import re

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DOMAIN = "index.docker.io"
_OFFICIAL = "library/"
DEFAULT_TAG = "latest"
MAX_NAME = 255
"""The longest repository name (domain and path) Docker accepts."""

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_IMAGE_ID = re.compile(r"[0-9a-f]{64}")

EXAMPLES = 'such as "golang", "node:20", "ghcr.io/org/app:1.2" or "localhost:5000/tool"'


def normalize_image(text: str) -> str:
    """The full reference of `text`: domain, path, and a tag or digest.

    Raises ValueError with what is wrong and how to write it.
    """
    reference = text.strip()
    if not reference:
        raise ValueError(f"an image is needed, {EXAMPLES}")
    rest, digest = _split_digest(reference)
    name, tag = _split_tag(reference, rest)
    domain, path = _split_domain(name)
    _check_name(reference, domain, path)
    full = f"{domain}/{path}"
    if tag:
        full += f":{tag}"
    if digest:
        return f"{full}@{digest}"
    return full if tag else f"{full}:{DEFAULT_TAG}"


def _split_digest(reference: str) -> tuple[str, str]:
    rest, at, digest = reference.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        raise ValueError(
            f'image "{reference}" has an invalid digest "{digest}": write it as '
            "ALGORITHM:HEX, such as sha256: and 64 hexadecimal digits"
        )
    return rest, digest


def _split_tag(reference: str, rest: str) -> tuple[str, str]:
    """`name:tag` -> (name, tag); a colon before the last `/` is a registry's port."""
    colon = rest.rfind(":")
    if colon <= rest.rfind("/"):
        return rest, ""
    name, tag = rest[:colon], rest[colon + 1 :]
    if not _TAG.fullmatch(tag):
        raise ValueError(
            f'image "{reference}" has an invalid tag "{tag}": a tag is up to 128 letters, '
            "digits, '_', '.' or '-', not starting with '.' or '-'"
        )
    return name, tag


def _split_domain(name: str) -> tuple[str, str]:
    """As Docker's splitDockerDomain: a first part with `.` or `:`, `localhost` or an
    upper-case letter is a registry; otherwise the image is on Docker Hub."""
    first, slash, remainder = name.partition("/")
    is_domain = any(c in first for c in ".:") or first == "localhost" or first != first.lower()
    if not slash or not is_domain:
        domain, path = DEFAULT_DOMAIN, name
    else:
        domain, path = first, remainder
    if domain == _LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = _OFFICIAL + path
    return domain, path


def _check_name(reference: str, domain: str, path: str) -> None:
    if _IMAGE_ID.fullmatch(path.removeprefix(_OFFICIAL)):
        raise ValueError(
            f'image "{reference}" is an image id, not a name: name the image by its '
            f"repository and tag, {EXAMPLES}"
        )
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f'image "{reference}" names an invalid registry "{domain}"')
    for part in path.split("/"):
        if part != part.lower() and _PATH_COMPONENT.fullmatch(part.lower()):
            raise ValueError(
                f'image "{reference}" is not valid: repository names are lower case; '
                f'write "{part.lower()}" for "{part}"'
            )
        if not _PATH_COMPONENT.fullmatch(part):
            raise ValueError(
                f'image "{reference}" is not valid: each part of its name is lower-case '
                f"letters and digits, joined by '.', '_', '__' or '-', {EXAMPLES}"
            )
    if len(domain) + 1 + len(path) > MAX_NAME:
        raise ValueError(
            f'image "{reference[:60]}..." is not valid: a repository name is at most '
            f"{MAX_NAME} characters"
        )
