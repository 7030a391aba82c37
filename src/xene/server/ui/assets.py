"""The web UI's static files, served from the package under names that carry a hash of
their content (`app-3f2a9c1b.js`): a browser may keep them forever, and a new release
is fetched at once because its names differ."""

from __future__ import annotations

import hashlib
import mimetypes
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from xene.frozen import frozen

PREFIX = "/static/"
FOREVER = "public, max-age=31536000, immutable"


@frozen
class Asset:
    name: str
    """As the package holds it: `app.js`, `vendor/dagre.min.js`."""
    served: str
    """With its hash: `app-3f2a9c1b.js`."""
    body: bytes
    media_type: str


def _load() -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    root = resources.files("xene.server.ui") / "static"

    def walk(folder: object, prefix: str) -> None:
        for entry in folder.iterdir():  # type: ignore[attr-defined]
            name = prefix + entry.name
            if entry.is_dir():
                walk(entry, name + "/")
                continue
            body = entry.read_bytes()
            stem, dot, ext = name.rpartition(".")
            digest = hashlib.sha256(body).hexdigest()[:10]
            served = f"{stem}-{digest}{dot}{ext}" if dot else f"{name}-{digest}"
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            found[name] = Asset(name, served, body, kind)

    walk(root, "")
    return found


ASSETS = _load()
_SERVED = {asset.served: asset for asset in ASSETS.values()}


def url(name: str) -> str:
    """The URL of a static file by its name in the package (KeyError for none)."""
    return PREFIX + ASSETS[name].served


router = APIRouter(include_in_schema=False)


@router.get(PREFIX + "{path:path}")
async def static(path: str) -> Response:
    asset = _SERVED.get(path)
    if asset is None:
        raise HTTPException(404, f"no static file {path!r}")
    return Response(asset.body, media_type=asset.media_type, headers={"Cache-Control": FOREVER})
