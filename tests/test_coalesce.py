"""Coalescer: concurrent loads share batch calls, alone they start at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from service.read.coalesce import Coalescer


async def settle() -> None:
    """Let every ready task run until each waits on something."""
    for _ in range(10):
        await asyncio.sleep(0)


class Source:
    """A batch load that waits until released, recording every batch it was given."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.release = asyncio.Event()
        self.fail_on: int | None = None

    async def load_many(self, keys: Sequence[int]) -> list[str]:
        self.calls.append(list(keys))
        await self.release.wait()
        if self.fail_on is not None and self.fail_on in keys:
            raise RuntimeError("boom")
        return [f"v{k}" for k in keys]


async def test_a_lone_load_starts_at_once() -> None:
    source = Source()
    source.release.set()
    coalescer = Coalescer(source.load_many, concurrency=2)
    assert await coalescer.load(1) == "v1"
    assert source.calls == [[1]]


async def test_loads_arriving_while_batches_run_share_the_next_one() -> None:
    source = Source()
    coalescer = Coalescer(source.load_many, concurrency=2, max_batch=3)
    tasks = [asyncio.create_task(coalescer.load(k)) for k in range(8)]
    await settle()
    # two start alone (the concurrency), the other six wait
    assert source.calls == [[0], [1]]
    source.release.set()
    assert await asyncio.gather(*tasks) == [f"v{k}" for k in range(8)]
    # then batches of at most 3, in arrival order
    assert source.calls == [[0], [1], [2, 3, 4], [5, 6, 7]]
    assert (coalescer.batches, coalescer.keys) == (4, 8)


async def test_a_callers_batch_stays_together() -> None:
    source = Source()
    source.release.set()
    coalescer = Coalescer(source.load_many, concurrency=1, max_batch=50)
    assert await coalescer.load_many([3, 1, 2]) == ["v3", "v1", "v2"]
    assert source.calls == [[3, 1, 2]]


async def test_an_error_reaches_every_caller_of_its_batch_only() -> None:
    source = Source()
    source.fail_on = 2
    coalescer = Coalescer(source.load_many, concurrency=1)
    first = asyncio.create_task(coalescer.load(0))
    await settle()
    failing = [asyncio.create_task(coalescer.load(k)) for k in (1, 2)]
    await settle()
    source.release.set()
    assert await first == "v0"
    for task in failing:
        with pytest.raises(RuntimeError, match="boom"):
            await task
    source.fail_on = None
    assert await coalescer.load(5) == "v5"


async def test_a_cancelled_callers_key_is_not_loaded() -> None:
    source = Source()
    coalescer = Coalescer(source.load_many, concurrency=1)
    first = asyncio.create_task(coalescer.load(0))
    await settle()
    gone = asyncio.create_task(coalescer.load(1))
    kept = asyncio.create_task(coalescer.load(2))
    await settle()
    gone.cancel()
    source.release.set()
    assert (await first, await kept) == ("v0", "v2")
    assert gone.cancelled()
    assert source.calls == [[0], [2]]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Coalescer(Source().load_many, concurrency=0)
