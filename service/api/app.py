"""The HTTP service: ``/graphql`` (GraphiQL in a browser), ``/healthz``, ``/readyz``.

One async Neo4j driver lives as long as the app (opened in the lifespan, which also
applies the schema); each request gets a fresh context with its own DataLoaders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from service.api.auth import authenticate, key_from_headers
from service.api.causal import CausalConsistency
from service.api.compiled import Endpoint, Lookup, Plans
from service.api.context import Context, Pages
from service.api.limits import BodyLimit
from service.api.schema import Schema, build_schema
from service.api.web import web_routes
from service.errors import OmnidError
from service.gc_tuning import SERVICE_THRESHOLDS, tune_gc
from service.identity.contract import Item
from service.identity.ingest import CommitHook
from service.identity.resolution import BatchOutcome
from service.privacy.ingest import PrivacyIngestor
from service.read import models as readmodels
from service.read.coalesce import Coalescer
from service.read.live import Broker
from service.segments.engine import SegmentEngine
from service.settings import (
    DEV_API_KEY,
    DEV_NEO4J_PASSWORD,
    DEV_SUPPRESSION_SECRET,
    Settings,
    load_settings,
)
from service.steward.matches import MatchWorker
from service.steward.review import Reviewer
from service.store.graph import Graph, in_background
from service.store.schema import apply_schema, missing_schema

__all__ = ["create_app"]

log = logging.getLogger("omnid")


class _GraphQL(GraphQL[Context, None]):
    def __init__(self, state: _State, schema: Schema) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.state = state

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        graph, ingestor, broker = self.state.ready()
        assert self.state.pages is not None  # set with the graph
        return Context(
            segments=self.state.segments,
            graph=graph,
            settings=graph.settings,
            ingestor=ingestor,
            broker=broker,
            pages=self.state.pages,
            access=authenticate(key_from_headers(request.headers), graph.settings.api_keys),
            request=request,
            response=response,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Subscriptions authenticate once, at connection_init: the key from its payload
        (``{"apiKey": ...}``) or the upgrade request's headers. No valid key: 4403."""
        try:
            context.require("read")
        except OmnidError:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None
        unset: UnsetType = UNSET
        return unset


class _State:
    def __init__(self) -> None:
        self.graph: Graph | None = None
        self.ingestor: PrivacyIngestor | None = None
        self.pages: Pages | None = None
        self.lookup: Lookup | None = None  # what compiled lookups read with
        self.broker = Broker()
        self.segments: SegmentEngine | None = None
        self.matches: MatchWorker | None = None  # possible matches of written records
        #: Called after each committed write, in order (live events, then segments).
        self.listeners: list[CommitHook] = [self.broker.publish]

    async def on_commit(self, items: Sequence[Item], outcome: BatchOutcome) -> None:
        for listener in self.listeners:
            await listener(items, outcome)

    def ready(self) -> tuple[Graph, PrivacyIngestor, Broker]:
        if self.graph is None or self.ingestor is None:
            raise RuntimeError("the app is not started (lifespan did not run)")
        return self.graph, self.ingestor, self.broker

    def compiled(self) -> tuple[Lookup, Mapping[str, Sequence[str]]]:
        """What compiled lookups read with, and the API keys."""
        graph, _, _ = self.ready()
        assert self.lookup is not None  # set with the graph
        return self.lookup, graph.settings.api_keys


def create_app(
    settings: Settings | None = None,
    graph: Graph | None = None,
    segments_factory: Callable[[Graph], SegmentEngine] | None = None,
) -> Starlette:
    """Build the ASGI app. Pass ``graph`` to share an open one (tests); else one is opened.
    ``segments_factory`` builds the segment engine (tests pass one with a manual clock)."""
    tune_gc(SERVICE_THRESHOLDS)
    settings = settings or (graph.settings if graph else load_settings())
    state = _State()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = graph is None
        state.graph = graph or Graph.connect(settings)
        make_segments = segments_factory or SegmentEngine
        state.segments = make_segments(state.graph)
        state.listeners.append(state.segments.on_commit)
        # The review list of suspicious persons: the persons each write touched.
        reviewer = app.state.reviewer = Reviewer(state.graph)
        state.listeners.append(reviewer.on_commit)
        state.matches = MatchWorker(state.graph)
        state.listeners.append(state.matches.on_commit)
        state.ingestor = PrivacyIngestor(state.graph, on_commit=state.on_commit)
        state.pages = Coalescer(
            partial(readmodels.person_pages, state.graph),
            concurrency=settings.lookup_concurrency,
            max_batch=settings.lookup_batch,
        )
        state.lookup = Lookup(state.pages.load_many, state.ingestor.rules, settings.max_page_size)
        if settings.neo4j_password.get_secret_value() == DEV_NEO4J_PASSWORD:
            log.warning("using the development Neo4j password; set NEO4J_PASSWORD")
        if DEV_API_KEY in settings.api_keys:
            log.warning("the development API key is enabled; set OMNID_API_KEYS")
        if settings.suppression_secret.get_secret_value() == DEV_SUPPRESSION_SECRET:
            log.warning("using the development suppression secret; set OMNID_SUPPRESSION_SECRET")
        try:
            await apply_schema(state.graph)
        except OmnidError as exc:
            log.error("schema not applied at start: %s (readyz will say so)", exc.message)
        # With several workers, a subscriber's events are often written by another
        # worker and reach it only through this poller: poll faster then (one cheap
        # indexed read while anyone is subscribed).
        interval = 0.25 if settings.workers == 1 else 0.05
        poller = in_background(state.broker.poll(state.graph, interval=interval))
        await state.segments.start()
        await state.matches.start()
        await reviewer.start()
        try:
            yield
        finally:
            await state.matches.stop()
            await state.segments.stop()
            await reviewer.stop()
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            if own:
                await state.graph.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        graph_, _, _ = state.ready()
        try:
            await graph_.ping()
            missing = await missing_schema(graph_)
        except OmnidError as exc:
            return JSONResponse({"status": "unavailable", "neo4j": exc.code}, status_code=503)
        if missing:
            return JSONResponse(
                {"status": "unavailable", "schema": sorted(missing)}, status_code=503
            )
        return JSONResponse({"status": "ready", "neo4j": "ok", "schema": "applied"})

    schema = build_schema(settings)
    view = _GraphQL(state, schema)
    # The one seam of the compiled lookups: off, strawberry answers every request.
    plans = Plans.for_schema(schema) if settings.compiled_lookups else None
    endpoint = Endpoint(view, plans, state.compiled) if plans is not None else view
    bounded = BodyLimit(endpoint, lambda: state.ready()[0].settings.max_body_bytes)
    # Bookmarks in and out (Omnid-Bookmark): read-your-writes across instances.
    causal = CausalConsistency(bounded, lambda: state.ready()[0])
    app = Starlette(
        routes=[
            Route("/graphql", causal, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", endpoint),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *web_routes(),  # the staff page at /app (service/api/web.py)
        ],
        lifespan=lifespan,
    )
    app.state.plans = plans  # how many lookups plans answered (tests read it)
    return app
