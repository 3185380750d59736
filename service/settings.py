"""Typed settings, read once from the environment, then ``.env``, then defaults.

Neo4j's own variable names (``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``) configure the database connection; everything else is ``OMNID_*``.
A bad value fails at start-up with an error that names the variable.

>>> s = load_settings({"NEO4J_URI": "bolt://db:7687", "OMNID_PORT": "9000"})
>>> (s.neo4j_uri, s.port)
('bolt://db:7687', 9000)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from service.errors import InvalidInput

__all__ = [
    "DEFAULT_CONSENT_PURPOSES",
    "DEV_API_KEY",
    "DEV_NEO4J_PASSWORD",
    "DEV_SUPPRESSION_SECRET",
    "Settings",
    "load_settings",
]

#: Documented development defaults. ``omnid serve`` warns when it runs with them.
DEV_NEO4J_PASSWORD = "omnid-dev-password"
DEV_API_KEY = "omnid-dev-key"
DEV_SUPPRESSION_SECRET = "omnid-dev-suppression-secret"

#: What a customer can consent to (``OMNID_CONSENT_PURPOSES`` replaces the list).
DEFAULT_CONSENT_PURPOSES = ("marketing", "profiling", "personalization", "tracking")

#: Per identifier type, the co-occurrence limits that make a value "shared": a PHONE seen
#: on items together with more than 4 distinct EMAILs belongs to no single customer
#: (the store's own number typed at the till). Evidence is the set of items, not their
#: order, so the outcome is order-independent.
DEFAULT_SHARED_RULES: dict[str, dict[str, int]] = {
    "EMAIL": {"PHONE": 4, "LOYALTY_CARD": 4, "DEVICE": 8},
    "PHONE": {"EMAIL": 4, "LOYALTY_CARD": 4, "DEVICE": 8},
    "LOYALTY_CARD": {"EMAIL": 4, "PHONE": 4},
    "DEVICE": {"EMAIL": 3, "LOYALTY_CARD": 3, "PHONE": 3},
}

_ROOT = Path(__file__).resolve().parent.parent


def _alias(*names: str) -> Any:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything omnid reads from its environment. Frozen: read once, passed around."""

    model_config = SettingsConfigDict(
        frozen=True,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Neo4j connection: the names Neo4j's own tools use.
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", validation_alias=_alias("NEO4J_URI"))
    neo4j_user: str = Field("neo4j", validation_alias=_alias("NEO4J_USER", "NEO4J_USERNAME"))
    neo4j_password: SecretStr = Field(
        SecretStr(DEV_NEO4J_PASSWORD), validation_alias=_alias("NEO4J_PASSWORD")
    )
    neo4j_database: str = Field("neo4j", validation_alias=_alias("NEO4J_DATABASE"))

    # HTTP service.
    host: str = Field("127.0.0.1", validation_alias=_alias("OMNID_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_alias("OMNID_PORT"))
    #: uvicorn worker processes for `omnid serve`. Subscribers of one worker get events
    #: written through another one from its poller (see service/read/live.py), a little later.
    workers: int = Field(1, ge=1, le=64, validation_alias=_alias("OMNID_WORKERS"))
    #: API key -> scopes (read, write, privacy, steward, admin). JSON in the environment.
    api_keys: dict[str, list[str]] = Field(
        default_factory=lambda: {DEV_API_KEY: ["read", "write", "admin"]},
        validation_alias=_alias("OMNID_API_KEYS"),
    )
    introspection: bool = Field(True, validation_alias=_alias("OMNID_INTROSPECTION"))
    max_query_depth: int = Field(12, ge=1, validation_alias=_alias("OMNID_MAX_QUERY_DEPTH"))
    max_query_tokens: int = Field(2000, ge=10, validation_alias=_alias("OMNID_MAX_QUERY_TOKENS"))
    max_aliases: int = Field(30, ge=1, validation_alias=_alias("OMNID_MAX_ALIASES"))
    max_page_size: int = Field(200, ge=1, validation_alias=_alias("OMNID_MAX_PAGE_SIZE"))
    max_batch_size: int = Field(1000, ge=1, validation_alias=_alias("OMNID_MAX_BATCH_SIZE"))
    #: Person lookups one service process runs against Neo4j at once; lookups arriving
    #: meanwhile wait and share the next statement, up to `lookup_batch` of them
    #: (service/read/coalesce.py; figures in bench/README.md).
    lookup_concurrency: int = Field(
        2, ge=1, le=64, validation_alias=_alias("OMNID_LOOKUP_CONCURRENCY")
    )
    lookup_batch: int = Field(50, ge=1, le=1000, validation_alias=_alias("OMNID_LOOKUP_BATCH"))
    #: Counter lookups answered by compiled plans instead of graphql-core's executor
    #: (service/api/compiled.py): the same answers for less CPU; off, strawberry answers
    #: every request.
    compiled_lookups: bool = Field(True, validation_alias=_alias("OMNID_COMPILED_LOOKUPS"))
    load_demo: bool = Field(True, validation_alias=_alias("OMNID_LOAD_DEMO"))

    # Local Neo4j server assembled from Maven jars (omnid neo4j install|start|stop).
    neo4j_home: Path = Field(_ROOT / ".neo4j", validation_alias=_alias("OMNID_NEO4J_HOME"))
    neo4j_bolt_port: int = Field(7687, validation_alias=_alias("OMNID_NEO4J_BOLT_PORT"))
    neo4j_http_port: int = Field(7474, validation_alias=_alias("OMNID_NEO4J_HTTP_PORT"))
    #: 2g each: the bulk path alone on 1,000,000 items (about 2 GB of store) took 225 s
    #: and 272 Neo4j CPU-seconds with 1g each, 210 s and 229 with a 2g heap, 196 s and
    #: 214 with both 2g (bench/README.md, "Seventh session"). The test server keeps 1g
    #: and 512m (tests/conftest.py): its graphs are small.
    neo4j_heap: str = Field("2g", validation_alias=_alias("OMNID_NEO4J_HEAP"))
    neo4j_pagecache: str = Field("2g", validation_alias=_alias("OMNID_NEO4J_PAGECACHE"))

    # Identifiers and resolution.
    default_region: str | None = Field(None, validation_alias=_alias("OMNID_DEFAULT_REGION"))
    email_provider_rules: bool = Field(True, validation_alias=_alias("OMNID_EMAIL_PROVIDER_RULES"))
    loyalty_luhn: bool = Field(False, validation_alias=_alias("OMNID_LOYALTY_LUHN"))
    extra_identifier_types: list[str] = Field(
        default_factory=lambda: ["CUSTOMER_ID", "PAYMENT_TOKEN"],
        validation_alias=_alias("OMNID_EXTRA_IDENTIFIER_TYPES"),
    )
    #: Types that link on their own; the rest (ADDRESS by default) are only attached.
    linking_types: list[str] = Field(
        default_factory=lambda: [
            "EMAIL",
            "PHONE",
            "LOYALTY_CARD",
            "DEVICE",
            "CUSTOMER_ID",
            "PAYMENT_TOKEN",
        ],
        validation_alias=_alias("OMNID_LINKING_TYPES"),
    )
    shared_rules: dict[str, dict[str, int]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SHARED_RULES.items()},
        validation_alias=_alias("OMNID_SHARED_RULES"),
    )
    #: Extra blocked values, as ``TYPE:value`` (normalized or raw), added to the shipped list.
    blocklist: list[str] = Field(default_factory=list, validation_alias=_alias("OMNID_BLOCKLIST"))
    #: Items per batch read from a file in bulk loads (a window of ``ingest_writers``
    #: batches is then written as twice as many transactions). 5,000 keeps each
    #: transaction well under the transaction timeout on a small machine
    #: (bench/README.md, "Ingest throughput": 1.5-3 s for 5,000 items).
    batch_size: int = Field(5000, ge=1, le=50_000, validation_alias=_alias("OMNID_BATCH_SIZE"))
    retry_seconds: float = Field(30.0, gt=0, validation_alias=_alias("OMNID_RETRY_SECONDS"))
    #: How long a request waits for an unreachable Neo4j (refused or silent connections)
    #: before it answers GRAPH_UNAVAILABLE: a counter lookup must not hang for the
    #: 30 s the driver would retry. Transient errors (deadlocks) keep ``retry_seconds``.
    unavailable_seconds: float = Field(
        5.0, gt=0, le=300, validation_alias=_alias("OMNID_UNAVAILABLE_SECONDS")
    )
    #: The largest HTTP request body the API reads; larger ones get 413 before parsing.
    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, validation_alias=_alias("OMNID_MAX_BODY_BYTES")
    )
    #: Batch transactions a bulk load runs at once (``Ingestor.ingest``, the CLI
    #: import): that many consecutive batches, re-cut so that they share no identifier,
    #: record or person and so do not queue on each other's locks (bench/README.md,
    #: "Fourth session"). Three on 2 cores: one transaction's Python runs while the
    #: others are in Neo4j ("Fifth session"). Also the most transactions one large
    #: ``ingest_batch`` call (a GraphQL mutation) is cut into ("Sixth session").
    ingest_writers: int = Field(3, ge=1, le=16, validation_alias=_alias("OMNID_INGEST_WRITERS"))

    # Privacy (service/privacy/).
    consent_purposes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CONSENT_PURPOSES),
        min_length=1,
        validation_alias=_alias("OMNID_CONSENT_PURPOSES"),
    )
    #: Key of the HMAC-SHA256 that keeps erased identifiers as suppression hashes
    #: (never their values). Changing it forgets every suppression: keep it with backups.
    suppression_secret: SecretStr = Field(
        SecretStr(DEV_SUPPRESSION_SECRET), validation_alias=_alias("OMNID_SUPPRESSION_SECRET")
    )
    # Segments and their delivery (service/segments/).
    #: Webhook targets, JSON: [{"name", "url", "segments": [...] (empty: all), "secret"}].
    #: Checked at start (service/segments/webhooks.py): http(s) only, hosts allowed below.
    webhooks: list[dict[str, Any]] = Field(
        default_factory=list, validation_alias=_alias("OMNID_WEBHOOKS")
    )
    #: Hosts webhook URLs may point at (exact names; no wildcard): a target elsewhere is
    #: refused, so a configuration mistake cannot send customers' data anywhere.
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list, validation_alias=_alias("OMNID_WEBHOOK_ALLOWED_HOSTS")
    )
    #: Attempts before a failing delivery parks its target (until retried by a mutation).
    webhook_max_attempts: int = Field(
        8, ge=1, le=100, validation_alias=_alias("OMNID_WEBHOOK_MAX_ATTEMPTS")
    )
    #: Seconds before the first retry; doubled each attempt (capped at 5 minutes).
    webhook_backoff: float = Field(
        0.5, gt=0, le=600, validation_alias=_alias("OMNID_WEBHOOK_BACKOFF")
    )
    webhook_timeout: float = Field(
        5.0, gt=0, le=60, validation_alias=_alias("OMNID_WEBHOOK_TIMEOUT")
    )

    # The review list of suspicious persons (service/steward/review.py).
    #: Size guards: a person with more identifiers of a type than this is listed.
    review_max_per_type: dict[str, int] = Field(
        default_factory=lambda: {"EMAIL": 10, "PHONE": 10},
        validation_alias=_alias("OMNID_REVIEW_MAX_PER_TYPE"),
    )
    #: Size guard: a person with more identifiers than this in all is listed.
    review_max_identifiers: int = Field(
        200, ge=1, validation_alias=_alias("OMNID_REVIEW_MAX_IDENTIFIERS")
    )
    #: A bridge counts when each side it joins holds at least this many records.
    review_bridge_records: int = Field(
        2, ge=1, validation_alias=_alias("OMNID_REVIEW_BRIDGE_RECORDS")
    )
    #: Persons whose score reaches this are listed (scores run from 0 to 1).
    review_min_score: float = Field(
        0.3, ge=0, le=1, validation_alias=_alias("OMNID_REVIEW_MIN_SCORE")
    )
    #: Seconds between two rounds of the review's catch-up over the changed-persons
    #: marks (other processes' writes); 0: none (``omnid review --refresh`` then).
    review_catch_up: float = Field(
        1.0, ge=0, le=3600, validation_alias=_alias("OMNID_REVIEW_CATCH_UP")
    )

    def __repr__(self) -> str:  # the password is a SecretStr; api keys are secrets too
        return f"Settings(neo4j_uri={self.neo4j_uri!r}, neo4j_user={self.neo4j_user!r}, ...)"


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: bool = True) -> Settings:
    """Build settings from ``environ`` (default: ``os.environ`` then ``.env``).

    Tests pass a dict: then only that dict is read, no process environment, no ``.env``.
    Raises ``InvalidInput`` naming the variable when a value does not parse.
    """
    try:
        if environ is None:
            return Settings(_env_file=".env" if env_file else None)
        return _from_mapping(dict(environ))
    except SettingsError as exc:
        # pydantic-settings fails this way on JSON that does not parse.
        match = re.search(r'field "([a-z_0-9]+)"', str(exc))
        field = Settings.model_fields.get(match.group(1)) if match else None
        alias = field.validation_alias if field else None
        name = alias.choices[0] if isinstance(alias, AliasChoices) else "settings"
        raise InvalidInput("is not valid JSON for this setting", field=str(name)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = str(err["loc"][0]) if err["loc"] else "?"
        field = Settings.model_fields.get(loc)
        alias = field.validation_alias if field else None
        name = alias.choices[0] if isinstance(alias, AliasChoices) else loc
        raise InvalidInput(str(err["msg"]), field=str(name)) from None


def _from_mapping(environ: dict[str, str]) -> Settings:
    class _MappingSource(EnvSettingsSource):
        def _load_env_vars(self) -> Mapping[str, str | None]:
            return {k.lower(): v for k, v in environ.items()}

    class _Isolated(Settings):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], *args: Any, **kwargs: Any
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (_MappingSource(settings_cls),)

    return _Isolated()
