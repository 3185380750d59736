"""Staff page latency: from a search submitted to the person drawn, measured in chromium.

    python bench/web.py [--rounds 10] [--warmup 1] [--customers 300] [--wipe | --reuse]

1. Neo4j: the server at ``NEO4J_URI`` when it is set; otherwise the project's own local
   server in a home of its own (``.neo4j/bench-web``, Bolt 7691, HTTP 7478), started for
   the run and stopped after. The demo dataset (``--customers`` synthetic customers and
   the seeds' stories) is loaded into an empty graph; a graph that holds data is wiped
   only with ``--wipe``, or taken as the demo of an earlier run with ``--reuse``.
2. The service runs under uvicorn in a subprocess, serving the built page (``web/dist``:
   run ``scripts/setup`` first) at ``/app``.
3. Debian's chromium (Playwright, headless, 1366x768) signs in, then for each round
   searches each seed story as staff would (what the customer says at the counter, the
   country of a national phone number). The figure is measured in the page with
   ``performance.now()``: from ``form.requestSubmit()`` to the frame after the person
   is on screen (the person's panel and the first events of the journey in the DOM,
   then the next animation frame and one task, i.e. after it was painted).
4. Baseline, in the same page and the same rounds: ``fetch()`` of the very GraphQL
   request the page sent for that story (captured during the warm-up), the JSON parsed,
   nothing rendered. The difference is what the page itself costs.

Prints p50, p90 and the slowest of each, overall and per story; target: p50 under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchlib import Service, machine_note, percentile, prepare_empty_graph, table
from playwright.async_api import Page, Request, async_playwright

from devtools import neo4j_local
from devtools.demo import generate
from service.identity.ingest import Ingestor
from service.settings import Settings, load_settings
from service.store.graph import Graph

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("OMNID_CHROMIUM", "/usr/bin/chromium")
TARGET_MS = 300.0


@dataclass(frozen=True)
class Story:
    name: str
    value: str  # as the customer says it
    type: str = "AUTO"  # the search's type choice ("AUTO": detected)
    country: str = ""  # for a national phone number


#: The seeds' stories (service/demo.py), each by what its customer says at the counter.
STORIES = (
    Story("sofa buyer, phone from abroad", "0034 600 12 34 56"),
    Story("phone contract, national phone", "06 71 28 45 93", country="FR"),
    Story("hotel booking, email", "Jonas.Becker@web.de"),
    Story("Mr Dupond, loyalty card typed", "7001 0042 1337"),
    Story("loyalty card, scanned", "700100992024"),
)

#: Submit the search and resolve with the milliseconds until the person is painted.
_MEASURE = """
async () => {
  const results = document.querySelector('[data-testid=results]');
  const before = Number(results.dataset.seq);
  const drawn = () => Number(results.dataset.seq) > before &&
    results.dataset.view === 'person' &&
    results.querySelector('[data-testid=person] li.event') !== null;
  const t0 = performance.now();
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no person after 10 s')), 10000);
    const observer = new MutationObserver(() => {
      if (!drawn()) return;
      observer.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now() - t0);
        channel.port2.postMessage(null);
      });
    });
    observer.observe(results, { subtree: true, childList: true, attributes: true });
  });
  document.querySelector('form.search').requestSubmit();
  return await done;
}
"""

#: The same GraphQL request with fetch(), nothing rendered.
_BASELINE = """
async ({ body, key }) => {
  const t0 = performance.now();
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json',
               Authorization: `Bearer ${key}` },
    body,
    cache: 'no-store',
  });
  const data = await response.json();
  if (!data.data || !data.data.person) throw new Error('baseline: no person');
  return performance.now() - t0;
}
"""


def _settings() -> tuple[Settings, bool]:
    """The database settings, and whether this run starts (and stops) a local server."""
    if os.environ.get("NEO4J_URI"):
        return load_settings(), False
    home = ROOT / ".neo4j" / "bench-web"
    settings = load_settings(
        {
            **{k: v for k, v in os.environ.items() if k.startswith(("NEO4J_", "OMNID_"))},
            "NEO4J_URI": "bolt://127.0.0.1:7691",
            "NEO4J_PASSWORD": "omnid-bench-password",
            "OMNID_NEO4J_HOME": str(home),
            "OMNID_NEO4J_BOLT_PORT": "7691",
            "OMNID_NEO4J_HTTP_PORT": "7478",
            "OMNID_NEO4J_HEAP": os.environ.get("OMNID_NEO4J_HEAP", "1g"),
            "OMNID_NEO4J_PAGECACHE": os.environ.get("OMNID_NEO4J_PAGECACHE", "512m"),
        }
    )
    return settings, True


async def _prepare(settings: Settings, customers: int, *, wipe: bool, reuse: bool) -> None:
    graph = Graph.connect(settings)
    try:
        await graph.ping()
        nodes = int(await graph.query("baseline-node-count") or 0)
        if nodes and reuse:
            print(f"--reuse: {nodes:,} nodes at {settings.neo4j_uri} taken as the demo", flush=True)
            return
        await prepare_empty_graph(graph, wipe=wipe)  # refuses to wipe data unasked
        dataset = generate(customers=customers)
        started = time.perf_counter()
        report = await Ingestor(graph).ingest(dataset.items)
        print(
            f"demo data: {len(dataset.items):,} items ({customers} customers and the seeds' "
            f"stories) loaded in {time.perf_counter() - started:.1f}s, "
            f"{len(report.errors)} rejected",
            flush=True,
        )
    finally:
        await graph.close()


async def _search(page: Page, story: Story) -> float:
    await page.select_option("#search-type", story.type)
    await page.fill("#search-value", story.value)
    if story.country:
        await page.select_option("#search-country", story.country)
    ms: float = await page.evaluate(_MEASURE)
    return ms


#: story -> measure ("page", "fetch") -> milliseconds
Times = dict[str, dict[str, list[float]]]


async def _measure(url: str, key: str, rounds: int, warmup: int) -> Times:
    times: Times = {s.name: {"page": [], "fetch": []} for s in STORIES}
    bodies: dict[str, str] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await page.goto(f"{url}/app/")
        await page.fill("#api-key", key)
        await page.press("#api-key", "Enter")
        await page.wait_for_selector("#search-value")
        await page.locator("[data-testid=live][data-state=live]").wait_for()

        captured: list[str] = []

        def on_request(request: Request) -> None:
            if request.url.endswith("/graphql") and request.method == "POST":
                body = request.post_data or ""
                if "StaffPersonByIdentifier" in body:
                    captured.append(body)

        page.on("request", on_request)
        for _ in range(max(1, warmup)):
            for story in STORIES:
                captured.clear()
                await _search(page, story)
                assert captured, f"no person request seen for {story.name}"
                bodies[story.name] = captured[-1]  # the one that found the person
        page.remove_listener("request", on_request)

        for _ in range(rounds):
            for story in STORIES:
                times[story.name]["page"].append(await _search(page, story))
                baseline = await page.evaluate(_BASELINE, {"body": bodies[story.name], "key": key})
                times[story.name]["fetch"].append(baseline)
        await browser.close()
    return times


def _report(times: Times) -> float:
    rows: list[list[object]] = []

    def row(name: str, page: list[float], fetch: list[float]) -> list[object]:
        p, f = sorted(page), sorted(fetch)
        return [
            name,
            len(p),
            percentile(p, 50),
            percentile(p, 90),
            p[-1],
            percentile(f, 50),
            percentile(f, 90),
            percentile(p, 50) - percentile(f, 50),
        ]

    all_page = [t for s in times.values() for t in s["page"]]
    all_fetch = [t for s in times.values() for t in s["fetch"]]
    for name, measured in times.items():
        rows.append(row(name, measured["page"], measured["fetch"]))
    rows.append(row("all stories", all_page, all_fetch))
    print()
    print(
        table(
            [
                "search -> person drawn (ms)",
                "n",
                "page p50",
                "page p90",
                "page max",
                "fetch p50",
                "fetch p90",
                "page - fetch (p50)",
            ],
            rows,
        )
    )
    p50 = percentile(sorted(all_page), 50)
    verdict = "under" if p50 < TARGET_MS else "OVER"
    print(
        f"\np50 search -> person drawn: {p50:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target); "
        f"the same GraphQL request by fetch(): p50 {percentile(sorted(all_fetch), 50):.1f} ms"
    )
    return p50


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds of every story")
    parser.add_argument("--warmup", type=int, default=1, help="rounds before measuring")
    parser.add_argument("--customers", type=int, default=300, help="synthetic demo customers")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--wipe", action="store_true", help="delete what the database holds")
    group.add_argument(
        "--reuse", action="store_true", help="the database holds the demo of an earlier run"
    )
    args = parser.parse_args(argv)

    if not (ROOT / "web" / "dist" / "index.html").is_file():
        raise SystemExit("the staff page is not built (web/dist): run scripts/setup")
    settings, local = _settings()
    if local:
        print(f"starting a local Neo4j for the benchmark ({settings.neo4j_uri})", flush=True)
        was_running = neo4j_local.status(settings).running
        neo4j_local.start(settings)
    try:
        print(machine_note(settings), flush=True)
        asyncio.run(_prepare(settings, args.customers, wipe=args.wipe, reuse=args.reuse))
        key = secrets.token_urlsafe(24)
        service = Service(settings, key, ["read"])
        try:
            service.wait_ready()
            print(f"service ready at {service.url}; chromium at 1366x768", flush=True)
            times = asyncio.run(_measure(service.url, key, args.rounds, args.warmup))
        finally:
            service.stop()
        p50 = _report(times)
    finally:
        if local and not was_running:
            neo4j_local.stop(settings)
    return 0 if p50 < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
