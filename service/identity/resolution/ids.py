"""Which person id each regrouped component gets: a pure function, no I/O.

After union-find, every group (a component of the affected part of the graph) holds
members of zero or more old persons. The rules:

* the part with most members of an old person keeps its id; among equals the oldest
  person, then the smallest id. A person keeps at most one group, a group one id;
* a merge keeps the largest person's id; every other person of the group is absorbed
  into it (becomes an alias);
* a group no old id is left for gets a new id: it *split from* the person holding most
  of it (ties: the greatest id), or is *created* when no old person holds any of it;
* an involved person that holds nothing any more (its members were all deleted) is
  *orphaned*: it is deleted.

For example, person ``a`` (3 members) meets ``b`` (5) in one group while 2 other
members of ``a`` form a group of their own::

    >>> ids = assign_person_ids({"g1": {"a": 3, "b": 5}, "g2": {"a": 2}}, {}, {"a", "b"})
    >>> ids.of_group, ids.absorbed
    ({'g1': 'b', 'g2': 'a'}, {})
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["PersonIds", "assign_person_ids"]

#: A group's name: its union-find root.
G = TypeVar("G", str, tuple[str, str])


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(slots=True)
class PersonIds(Generic[G]):
    """The ids :func:`assign_person_ids` chose, and what they mean for old persons."""

    #: The person id of every group.
    of_group: dict[G, str] = field(default_factory=dict)
    #: New persons, in group order: (id, the person it split from, None when created).
    new: list[tuple[str, str | None]] = field(default_factory=list)
    #: Persons merged into another: old id -> the id that absorbs it, by old id.
    absorbed: dict[str, str] = field(default_factory=dict)
    #: Involved persons left without members, by id: to delete.
    orphaned: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        """New persons made of members no old person held."""
        return sum(1 for _, split_from in self.new if split_from is None)

    @property
    def split(self) -> int:
        """New persons split from an old one."""
        return len(self.new) - self.created


def assign_person_ids(
    holdings: Mapping[G, Mapping[str, int]],
    ages: Mapping[str, str],
    involved: Set[str],
    new_id: Callable[[], str] = _new_id,
) -> PersonIds[G]:
    """Person ids for ``holdings`` (group -> {old person id: members of it the group
    holds}, in group order).

    ``ages``: when each old person was created, as comparable strings (ISO 8601); a
    person without one sorts first, as the oldest (only a person alone in its group
    may go without: its age is never compared). ``involved``: every old person the
    batch touched (those absent from ``holdings`` are orphaned). ``new_id`` makes the
    id of each new person.
    """
    out = PersonIds[G]()
    # Most members first; among equals the oldest person, then the smallest id.
    pairs = sorted(
        ((held, pid, group) for group, ws in holdings.items() for pid, held in ws.items()),
        key=lambda t: (-t[0], ages.get(t[1], ""), t[1]),
    )
    used: set[str] = set()
    for _, pid, group in pairs:
        if group not in out.of_group and pid not in used:
            out.of_group[group] = pid
            used.add(pid)

    for group, ws in holdings.items():
        if group not in out.of_group:
            split_from = max(ws, key=lambda p: (ws[p], p)) if ws else None
            pid = new_id()
            out.of_group[group] = pid
            out.new.append((pid, split_from))

    homes_of: dict[str, list[tuple[int, G]]] = defaultdict(list)
    for group, ws in holdings.items():
        for pid, held in ws.items():
            homes_of[pid].append((held, group))
    for pid in sorted(involved - used):
        homes = homes_of.get(pid)
        if homes:
            # Into the group holding most of it (ties: the greatest group).
            _, group = max(homes)
            out.absorbed[pid] = out.of_group[group]
        else:
            out.orphaned.append(pid)
    return out
