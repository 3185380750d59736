"""Possible matches: persons that share no linking identifier but may be one customer,
found from names, birth dates, addresses and near-identical identifiers, scored and
explained field by field, never merged automatically.

    blocking      which stored records a record is compared with (keys in the graph)
    profile       what a record's attributes and identifiers say, folded for comparing
    comparisons   field-by-field levels (exact, typo, close, different)
    scoring       Fellegi-Sunter weights and the score
    store         refresh, read, reject, catch up (Neo4j)
    worker        the commit listener's background refresh
"""

from service.steward.matches.blocking import MatchLimits, block_keys
from service.steward.matches.scoring import DEFAULT_THRESHOLD, Reason, Score
from service.steward.matches.store import (
    KEEP,
    PossibleMatch,
    Refresh,
    Rejection,
    RejectRequest,
    catch_up,
    index_records,
    possible_matches,
    refresh_records,
    reject_match,
    reject_match_each,
    suggestion_tx,
)
from service.steward.matches.worker import MatchWorker

__all__ = [
    "DEFAULT_THRESHOLD",
    "KEEP",
    "MatchLimits",
    "MatchWorker",
    "PossibleMatch",
    "Reason",
    "Refresh",
    "RejectRequest",
    "Rejection",
    "Score",
    "block_keys",
    "catch_up",
    "index_records",
    "possible_matches",
    "refresh_records",
    "reject_match",
    "reject_match_each",
    "suggestion_tx",
]
