"""The API's documentation pages work offline: every asset they load is served here."""

from __future__ import annotations

import re

import httpx
import pytest

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_loads_only_assets_this_server_serves(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assets = [a or b for a, b in ASSET.findall(response.text)]
    assert assets, "the page loads nothing: the pattern no longer matches it"
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.content
