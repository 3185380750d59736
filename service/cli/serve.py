"""``omnid serve``: the schema, the demo on an empty graph, then GraphQL over HTTP."""

from __future__ import annotations

import logging
import os
from importlib.metadata import entry_points
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

from service.cli.importing import ingest_items, print_summary
from service.cli.shell import (
    out,
    run,
    say,
)
from service.read.stats import person_count
from service.settings import DEV_API_KEY, Settings, load_settings
from service.store.graph import Graph
from service.store.schema import apply_schema

__all__ = ["serve"]


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [OMNID_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [OMNID_PORT].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="uvicorn worker processes [OMNID_WORKERS]."),
    ] = None,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo-if-empty/--no-demo",
            help="Load the demo dataset when the graph has no person [OMNID_LOAD_DEMO].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Apply the schema, load the demo on an empty graph, and serve GraphQL."""
    import uvicorn

    from service.api.app import create_app

    settings = load_settings()
    load_demo = settings.load_demo if demo is None else demo

    async def prepare(graph: Graph) -> None:
        await apply_schema(graph)
        if load_demo and await person_count(graph) == 0:
            items = _demo_items()
            if items is None:
                say(
                    "The graph is empty and the demo data is not installed "
                    "(pip install 'omnid[demo]'): serving an empty graph"
                )
                return
            say("The graph is empty: loading the demo dataset (--no-demo to skip) …")
            tally = await ingest_items(graph, items, "demo")
            print_summary([tally])

    run(settings, prepare)
    host = host or settings.host
    port = port or settings.port
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # listening everywhere
    out.print(f"GraphQL (GraphiQL in a browser): http://{shown}:{port}/graphql", soft_wrap=True)
    browser = _browser_url(settings)
    if browser:
        out.print(f"Neo4j Browser: {browser} (user {settings.neo4j_user})", soft_wrap=True)
    if DEV_API_KEY in settings.api_keys:
        out.print(
            f"Development API key: {DEV_API_KEY} (GraphiQL headers: "
            f'{{"Authorization": "Bearer {DEV_API_KEY}"}}); set OMNID_API_KEYS in production',
            soft_wrap=True,
        )
    else:
        out.print("API keys: the ones in OMNID_API_KEYS (Authorization: Bearer <key>)")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    workers = workers or settings.workers
    # No access log: GET /graphql?query=...&variables=... would write personal data to it.
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    # Several processes share the port: each imports the app and reads the same settings
    # (environment, .env). One Python process saturates one core well before Neo4j does.
    os.environ["OMNID_WORKERS"] = str(workers)  # the workers' live-event poll rate uses it
    out.print(f"Serving with {workers} worker processes")
    uvicorn.run(
        "service.api.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
    )


def _browser_url(settings: Settings) -> str | None:
    """Neo4j Browser as this machine's web browser reaches it, for the servers whose
    Browser omnid knows: the local one ``omnid neo4j`` manages (a loopback host on
    ``OMNID_NEO4J_BOLT_PORT``; its Browser is on ``OMNID_NEO4J_HTTP_PORT``) and
    docker-compose's, whose single-label host (``bolt://neo4j:7687``) is a container name
    with its ports published on localhost. None for any other server.
    """
    uri = urlparse(settings.neo4j_uri)
    host = uri.hostname or ""
    local = host in ("localhost", "127.0.0.1", "::1") or ("." not in host and ":" not in host)
    if not local or (uri.port or 7687) != settings.neo4j_bolt_port:
        return None
    return f"http://localhost:{settings.neo4j_http_port}/browser/"


def _demo_items() -> list[dict[str, Any]] | None:
    """The demo dataset from the ``omnid.demo`` entry point (the development tools),
    or None when they or their extra are not installed."""
    for entry in entry_points(group="omnid.demo"):
        try:
            items: list[dict[str, Any]] = entry.load()()
        except ImportError:
            continue
        return items
    return None
