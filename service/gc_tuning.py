"""Garbage-collector thresholds for omnid's own processes (the CLI, the service).

A bulk load allocates millions of short-lived objects (parsed items, statement rows,
driver results) while it keeps a window of batches alive; with CPython's default
thresholds (700, 10, 10) those windows are promoted to the oldest generation, and the
full collections that follow walk everything alive again and again. On a
1,000,000-item load through the bulk path, 201 full collections took 90 s of the
process's 210 CPU-seconds (bench/README.md, "Fifth session"). Larger thresholds make
collections rarer and each a little larger; reference cycles are still collected.

The service is another matter (:data:`SERVICE_THRESHOLDS`): it runs for days, and every
statement leaves reference cycles behind (the driver's result and its hydration scope,
its session and the error handler's bound methods: about a hundred objects of cyclic
garbage per request). With the bulk thresholds the oldest generation was collected
once per some twenty million allocations; what requests in flight had promoted there
piled up meanwhile, and the soak's service grew linearly, +27.7% of its RSS in five
minutes (bench/README.md, "Soak").
"""

from __future__ import annotations

import gc

__all__ = ["SERVICE_THRESHOLDS", "THRESHOLDS", "tune_gc"]

#: Collect the youngest generation every 50,000 net allocations (default 700), the
#: middle one every 20 of those, the oldest every 20 of those.
THRESHOLDS = (50_000, 20, 20)
#: The service's: the youngest generation every 10,000, the oldest every 2 middle ones
#: (CPython then waits until a quarter of the long-lived objects are new, which keeps
#: full collections proportional to what is alive and the garbage waiting bounded).
SERVICE_THRESHOLDS = (10_000, 10, 2)


def tune_gc(thresholds: tuple[int, int, int] = THRESHOLDS) -> None:
    """Apply ``thresholds`` to this process (idempotent)."""
    gc.set_threshold(*thresholds)
