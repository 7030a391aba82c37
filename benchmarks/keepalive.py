"""A lean HTTP/1.1 client for load: persistent connections, one request at a time each.

The benchmark client shares the machine's cores with the server it measures. httpx costs
about a millisecond of CPU per request, as much as a whole webhook-started run in the
server, so with it the client is what a throughput figure measures. This one writes
a request and reads its answer on a kept-alive socket (Content-Length bodies only, as
`xene serve` sends them), about a tenth of that.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class HttpError(RuntimeError):
    pass


class KeepAlive:
    def __init__(self, host: str, port: int, connections: int = 8) -> None:
        self.host, self.port, self.size = host, port, connections
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._open = 0

    async def post_json(self, path: str, body: Any) -> tuple[int, Any]:
        """(status, the answer's JSON)."""
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        status, answer = await self._request(head.encode() + data)
        return status, json.loads(answer)

    async def _request(self, request: bytes) -> tuple[int, bytes]:
        reader, writer = await self._connection()
        try:
            writer.write(request)
            status_line = await reader.readline()
            parts = status_line.split(None, 2)
            if len(parts) < 2:
                raise HttpError(f"no HTTP answer: {status_line!r}")
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            self._open -= 1
            raise
        if close:
            writer.close()
            self._open -= 1
        else:
            self._idle.put_nowait((reader, writer))
        return int(parts[1]), body

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle.empty() and self._open < self.size:
            self._open += 1
            try:
                return await asyncio.open_connection(self.host, self.port)
            except BaseException:
                self._open -= 1
                raise
        return await self._idle.get()

    async def close(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()
            await writer.wait_closed()
        self._open = 0
