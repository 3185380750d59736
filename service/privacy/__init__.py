"""Privacy: consent, erasure with suppression, subject access.

A layer above the read models (it reads persons) and below the API and the CLI::

    consents      consent items written onto their identifiers; effective consent
                  per purpose and channel; the contact points a purpose may use
    suppression   erased identifiers kept as keyed hashes, dropped from later items
    ingest        the ingestor every entry point uses: consents routed to their own
                  writer, suppressed identifiers dropped before resolution
    erasure       the right to be forgotten, in one transaction, with a receipt
    export        subject access: everything known about a person, as one document
"""

from service.privacy.consents import ConsentView, ContactPoint, PersonConsents, consents_of
from service.privacy.erasure import ErasureReceipt, erase_person, erasures, unsuppress
from service.privacy.export import EXPORT_FORMAT, export_person
from service.privacy.ingest import PrivacyIngestor
from service.privacy.suppression import Suppression

__all__ = [
    "EXPORT_FORMAT",
    "ConsentView",
    "ContactPoint",
    "ErasureReceipt",
    "PersonConsents",
    "PrivacyIngestor",
    "Suppression",
    "consents_of",
    "erase_person",
    "erasures",
    "export_person",
    "unsuppress",
]
