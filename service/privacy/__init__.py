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
