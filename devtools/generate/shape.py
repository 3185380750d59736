"""How big and what kind of dataset ``generate`` makes: one frozen value, checked when
made. The defaults make the demo dataset; the benchmarks and tests change a few."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from service.errors import InvalidInput

__all__ = ["DEFAULT_SEED", "DEFAULT_START", "Shape"]

#: The first day of the simulated period (events run for about six months after it).
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
DEFAULT_SEED = 7

_RATES = ("tablets", "till", "junk_emails", "junk_phones", "zero_adid", "resend")


@dataclass(frozen=True, kw_only=True)
class Shape:
    """Size and shape of a dataset; the same shape always gives the same dataset.

    >>> Shape(customers=20_000, events=(1, 13), activity=1.0, resend=0.3)  # doctest: +SKIP
    """

    #: Synthetic customers besides the stories.
    customers: int = 300
    seed: int = DEFAULT_SEED
    #: First day of the period (default :data:`DEFAULT_START`; naive means UTC).
    start: datetime | None = None
    #: The seeds' named stories (five customers, stable ids), whatever the seed.
    stories: bool = True
    #: Events per customer, drawn uniformly between the two (family-tablet logins count).
    events: tuple[int, int] = (3, 15)
    #: Spread of activity between customers: 0, all draw from ``events`` alike; s > 0
    #: multiplies each draw by a lognormal factor of mean 1 and sigma s (a few customers
    #: far more active than the rest, as in a real shop).
    activity: float = 0.0
    #: Shares of households of 1, 2, 3, ... customers sharing an address (ADDRESS never
    #: links, so a household is as many persons as members unless a tablet glues them).
    households: tuple[float, ...] = (0.62, 0.2, 0.1, 0.06, 0.02)
    #: Share of households of four or more with a family tablet every member logs in on.
    tablets: float = 0.5
    #: Share of store customers with a phone whose till gets the store's own phone
    #: instead (customers without a phone always do): the shared phones.
    till: float = 0.12
    #: Share of store records whose email is a placeholder (``noemail@…``), blocked.
    junk_emails: float = 0.06
    #: Share of store records with a repeated-digit phone, blocked.
    junk_phones: float = 0.04
    #: Share of app users whose advertising id is the zero one, blocked.
    zero_adid: float = 0.08
    #: Share of records sent again later with the same identifiers and new attributes
    #: (a source system re-exporting a customer it updated).
    resend: float = 0.0
    #: Seeded conflicts, alternating a family email two household members share and a
    #: phone number recycled to a new owner (devtools/generate/conflicts.py): real
    #: customers glued into one person on purpose, listed in ``Dataset.conflicts``.
    conflicts: int = 0

    def __post_init__(self) -> None:
        if self.customers < 0:
            raise InvalidInput("must be 0 or more", field="customers")
        low, high = self.events
        if not 0 <= low <= high:
            raise InvalidInput("must be two counts, the first no larger", field="events")
        if not (math.isfinite(self.activity) and self.activity >= 0):
            raise InvalidInput("must be 0 or more", field="activity")
        if not self.households or any(not w >= 0 for w in self.households):
            raise InvalidInput("must be weights of 0 or more", field="households")
        if sum(self.households) <= 0:
            raise InvalidInput("must have a positive weight", field="households")
        if self.conflicts < 0:
            raise InvalidInput("must be 0 or more", field="conflicts")
        for name in _RATES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidInput("must be a share between 0 and 1", field=name)

    @property
    def period_start(self) -> datetime:
        """``start`` in UTC, or :data:`DEFAULT_START`."""
        if self.start is None:
            return DEFAULT_START
        if self.start.tzinfo is None:
            return self.start.replace(tzinfo=UTC)
        return self.start.astimezone(UTC)

    def options(self) -> dict[str, object]:
        """What differs from the demo's shape (for printing beside figures)."""
        default = Shape()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }
