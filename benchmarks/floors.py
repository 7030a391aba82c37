"""Plain-Python floors for the graph workloads: what the same shape costs with no engine.

Run as a script (`python floors.py chain-500`) it is the whole-process floor.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any


def noop(value: Any) -> Any:
    return value


def chain_loop(n: int = 500) -> Any:
    value: Any = {}
    for _ in range(n):
        value = noop(value)
    return value


async def _anoop(value: Any) -> Any:
    return value


async def _chain_async(n: int) -> Any:
    value: Any = {}
    for _ in range(n):
        value = await asyncio.create_task(_anoop(value))
    return value


def chain_asyncio(n: int = 500) -> Any:
    return asyncio.run(_chain_async(n))


def fanout_loop(n: int = 500) -> Any:
    start = noop({})
    return {f"n{i}": noop(start) for i in range(n)}


async def _fanout_async(n: int) -> Any:
    start = await asyncio.create_task(_anoop({}))
    results = await asyncio.gather(*(asyncio.create_task(_anoop(start)) for _ in range(n)))
    return await asyncio.create_task(_anoop(dict(enumerate(results))))


def fanout_asyncio(n: int = 500) -> Any:
    return asyncio.run(_fanout_async(n))


CHAIN = {"loop": chain_loop, "asyncio": chain_asyncio}
FANOUT = {"loop": fanout_loop, "asyncio": fanout_asyncio}


def main(name: str) -> None:
    """`chain-500`, `fanout-10k`, ...: the asyncio floor of that workload."""
    shape, _, size = name.partition("-")
    n = int(size.replace("k", "000"))
    {"chain": chain_asyncio, "fanout": fanout_asyncio}[shape](n)


if __name__ == "__main__":
    main(sys.argv[1])
