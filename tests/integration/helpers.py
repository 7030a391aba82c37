"""Callables that tests name as `module:function`."""

from __future__ import annotations

from typing import Any


def explode(data: Any) -> Any:
    raise RuntimeError("kaboom")


def double(data: Any) -> Any:
    return {"value": data["value"] * 2}


async def add_one(data: Any) -> Any:
    return {"value": data["value"] + 1}


def chatty(data: Any) -> Any:
    print("hello from a thread")
    print("two", "parts", end="")
    return {"ok": True}


async def chatty_async(data: Any) -> Any:
    print("hello from the loop")
    return {"ok": True}
