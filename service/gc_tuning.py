"""Garbage-collector thresholds for omnid's own processes (the CLI, the service).

A bulk load allocates millions of short-lived objects (parsed items, statement rows,
driver results) while it keeps a window of batches alive; with CPython's default
thresholds (700, 10, 10) those windows are promoted to the oldest generation, and the
full collections that follow walk everything alive again and again. On a
1,000,000-item load through the bulk path, 201 full collections took 90 s of the
process's 210 CPU-seconds (bench/README.md, "Fifth session"). Larger thresholds make
collections rarer and each a little larger; reference cycles are still collected.
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "tune_gc"]

#: Collect the youngest generation every 50,000 net allocations (default 700), the
#: middle one every 20 of those, the oldest every 20 of those.
THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Apply :data:`THRESHOLDS` to this process (idempotent)."""
    gc.set_threshold(*THRESHOLDS)
