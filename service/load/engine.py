"""Which engine resolves the staged input: a strategy behind one interface.

An engine reads the chunks the staging phase wrote (``staging``: items and the
identifiers they carry, as Parquet) and returns the resolved graph (``Resolved``: items,
identifiers with their flags, HAS relationships, persons). Everything around it is the
same for every engine: staging before, the import files, neo4j-admin and the schema
after (``initial``).

* ``InProcess``: Polars and SciPy in this process (``resolve``); the input's resolved
  frames must fit this machine's memory.
* ``Spark``: Apache Spark (``service.load.spark``), ``local[*]`` or a cluster's master
  URL; only the resolved frames come back to this process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from service.identity.resolution import ResolutionPolicy
from service.load.resolve import Resolved, resolve

__all__ = ["ENGINES", "Engine", "InProcess"]


class Engine(Protocol):
    """Resolves staged chunks by the online rules (``service.load.resolve``'s doc)."""

    @property
    def name(self) -> str: ...

    def resolve(self, staged: Path, policy: ResolutionPolicy, now: str) -> Resolved:
        """The graph for the chunks in ``staged``; ``now`` (ISO) stamps arrival times."""
        ...


@dataclass(frozen=True, slots=True)
class InProcess:
    """Polars for grouping and counting, SciPy for connected components."""

    name: str = "in-process"

    def resolve(self, staged: Path, policy: ResolutionPolicy, now: str) -> Resolved:
        return resolve(staged, policy, now)


#: The names ``omnid load --engine`` takes.
ENGINES = ("in-process", "spark")
