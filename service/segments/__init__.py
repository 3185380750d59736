"""Segments: groups of persons defined by rules, kept up to date as data arrives and
delivered live (a GraphQL subscription) and durably (webhooks from an outbox).

    rules.py       the rule language and its checks
    compile.py     rules -> parameters of the one fixed evaluation statement
    store.py       definitions in Neo4j, versioned
    membership.py  evaluation of touched persons, with the outbox rows, in one transaction
    feed.py        live subscribers
    webhooks.py    targets from the settings, signatures
    outbox.py      the drainer that delivers webhooks
    clock.py       injectable time (windows close by it)
    engine.py      the above in the running service: evaluation workers fed by the
                   changed-persons marks (service/identity/changes.py), in memory and
                   by a catch-up over the graph; drops
"""

from service.segments.clock import Clock, ManualClock, SystemClock
from service.segments.engine import SegmentEngine
from service.segments.membership import Change
from service.segments.rules import Definition, parse_definition
from service.segments.store import Segment

__all__ = [
    "Change",
    "Clock",
    "Definition",
    "ManualClock",
    "Segment",
    "SegmentEngine",
    "SystemClock",
    "parse_definition",
]
