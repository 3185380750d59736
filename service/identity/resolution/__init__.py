"""Identity resolution, maintained at write time.

A person is a connected component of the bipartite graph of items (records and events)
and *linking* identifiers, an edge wherever an item carries an identifier. Identifiers
that do not link (ADDRESS by default, blocked values, values found to be shared by many
customers) are attached to the items that carry them, and so to every person seen with
them, but never join two persons.

Every batch runs in one transaction (``resolve_batch_tx``), in three phases, each a
module with its statements in a ``cypher/resolution-<phase>.cypher`` file of its own:

1. ``items``: upsert identifier nodes, records (replacing their identifier set) and new
   events; delete identifiers nothing carries any more (-> ``Written``);
2. ``shared``: re-evaluate the shared-identifier rules for identifiers whose
   co-occurrences changed (-> ``Statuses``: what became linking, what stopped);
3. ``regroup``: lock the persons involved, union-find the affected part of the graph
   and write back, with the ids ``ids`` assigns (a pure function).

An operator's override of a value (``restatus``: 'shared', 'linking') is decided
before the shared rules in phase 2 and kept on the identifier node; setting or clearing
one regroups with phase 3 as new evidence would.

Ids: the part with most members of an old person keeps its id (a merge keeps the largest
person's id, the others become aliases); smaller parts of a split get new ids and
remember where they came from.

Concurrency: identifiers and items are locked (in key order) as they are written, then
every person the batch involves (in id order). A member's person is read before that
person is locked, and Neo4j moves a member of a dense node (50 or more relationships)
without the member's lock, so with the persons locked the batch checks that every member
it read is still theirs, and runs again if not (``ReadChanged``). Every change to a
person's members is made holding that person's lock, so nothing read after this check
changes under the batch. Deadlocks between writers surface as transient errors, and the
whole batch is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from service.identity.contract import Item
from service.identity.resolution.items import write_items
from service.identity.resolution.outcome import BatchOutcome
from service.identity.resolution.policy import ResolutionPolicy, label_for
from service.identity.resolution.regroup import regroup, settle
from service.identity.resolution.restatus import Override, override_tx
from service.identity.resolution.shared import reevaluate_shared
from service.store.graph import Tx

__all__ = [
    "BatchOutcome",
    "Override",
    "ResolutionPolicy",
    "label_for",
    "override_tx",
    "resolve_batch_tx",
]


async def resolve_batch_tx(
    tx: Tx, items: Sequence[Item], policy: ResolutionPolicy, now: datetime
) -> BatchOutcome:
    """Write one batch of parsed items and keep every person a connected component.

    ``items`` must have distinct keys (``ingest`` deduplicates). Safe to re-run: the
    driver retries this function as a whole on transient errors.
    """
    written = await write_items(tx, items, policy, now)
    statuses = await reevaluate_shared(tx, written, policy, now)
    return await settle(tx, await regroup(tx, written, statuses, now), statuses, written)
