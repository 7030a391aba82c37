"""`RemoteSecrets`: a server's secrets over its API (`/api/v1/secrets`), answering as the
local vault does. Values only go in: no route returns one."""

from __future__ import annotations

import json

from xene.client.api import ApiClient, api_path
from xene.store.secrets import SecretInfo


class RemoteSecrets:
    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.where = f"the server at {api.url}"

    async def set(self, name: str, value: str) -> bool:
        """True when the name was new."""
        answer = await self.api.call(
            "PUT",
            api_path("secrets", name),
            content=json.dumps({"value": value}),
            headers={"Content-Type": "application/json"},
        )
        return bool(answer["created"])

    async def list(self) -> list[SecretInfo]:
        answer = await self.api.get(api_path("secrets"))
        return [
            SecretInfo(str(s["name"]), "", str(s["set_by"]), float(s["set_at"]))
            for s in answer["secrets"]
        ]

    async def delete(self, name: str) -> None:
        await self.api.delete(api_path("secrets", name))
